import type BetterSqlite3 from "better-sqlite3";
import type { Row, Sql } from "./sql.js";
import type { WalControl } from "./sqlite-checkpointer.js";

/**
 * better-sqlite3 is synchronous and has one connection, but stores are async. A transaction
 * that awaits would let another task's statements run inside it, so while a transaction is
 * open every other statement waits for it (a FIFO mutex). With no transaction open,
 * statements run at once without queueing.
 */
export class SqliteSql implements Sql {
  readonly dialect = "sqlite" as const;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private lockTail: Promise<void> = Promise.resolve();
  private locked = false;

  /**
   * @param wal the checkpoint thread, where the process runs one (openDatabase's
   *   backgroundCheckpoint): long jobs hand it the WAL work that would block the event loop.
   */
  constructor(
    readonly raw: BetterSqlite3.Database,
    readonly wal?: WalControl,
  ) {}

  async all<T = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    if (this.locked) await this.waitTurn();
    return this.allNow<T>(text, params);
  }

  async get<T = Row>(text: string, params: readonly unknown[] = []): Promise<T | undefined> {
    if (this.locked) await this.waitTurn();
    return this.getNow<T>(text, params);
  }

  async run(text: string, params: readonly unknown[] = []): Promise<number> {
    if (this.locked) await this.waitTurn();
    return this.runNow(text, params);
  }

  async tx<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    const release = await this.acquire();
    const inner = new SqliteTx(this);
    try {
      this.raw.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(inner);
        this.raw.exec("COMMIT");
        return result;
      } catch (error) {
        if (this.raw.inTransaction) this.raw.exec("ROLLBACK");
        throw error;
      }
    } finally {
      inner.closed = true;
      release();
    }
  }

  /** Synchronous access for hot paths that need no awaits inside a transaction. */
  allNow<T>(text: string, params: readonly unknown[]): T[] {
    return this.prepare(text).all(...bind(params)) as T[];
  }

  getNow<T>(text: string, params: readonly unknown[]): T | undefined {
    return this.prepare(text).get(...bind(params)) as T | undefined;
  }

  runNow(text: string, params: readonly unknown[]): number {
    const statement = this.prepare(text);
    if (statement.reader) return statement.all(...bind(params)).length;
    return statement.run(...bind(params)).changes;
  }

  private prepare(text: string): BetterSqlite3.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      // Bounded so that callers building SQL dynamically cannot grow the cache forever.
      if (this.statements.size > 500) this.statements.clear();
      statement = this.raw.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private async acquire(): Promise<() => void> {
    let release!: () => void;
    const previous = this.lockTail;
    this.lockTail = new Promise<void>((resolve) => {
      release = () => {
        this.locked = false;
        resolve();
      };
    });
    await previous;
    this.locked = true;
    return release;
  }

  /**
   * Resolves once no transaction of this executor is open, without running a statement: a
   * caller that then opens its own transaction synchronously cannot interleave with one.
   */
  async turn(): Promise<void> {
    if (this.locked) await this.waitTurn();
  }

  private async waitTurn(): Promise<void> {
    while (this.locked) await this.lockTail;
  }
}

class SqliteTx implements Sql {
  readonly dialect = "sqlite" as const;
  closed = false;
  constructor(private readonly owner: SqliteSql) {}

  private check(): void {
    if (this.closed) throw new Error("transaction executor used after its transaction ended");
  }
  async all<T = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    this.check();
    return this.owner.allNow<T>(text, params);
  }
  async get<T = Row>(text: string, params: readonly unknown[] = []): Promise<T | undefined> {
    this.check();
    return this.owner.getNow<T>(text, params);
  }
  async run(text: string, params: readonly unknown[] = []): Promise<number> {
    this.check();
    return this.owner.runNow(text, params);
  }
  tx<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return fn(this);
  }
}

/** SQLite has no Date or boolean type: instants become epoch milliseconds, booleans 0/1. */
function bind(params: readonly unknown[]): unknown[] {
  return params.map((value) => {
    if (value instanceof Date) return value.getTime();
    if (typeof value === "boolean") return value ? 1 : 0;
    if (value === undefined) return null;
    return value;
  });
}
