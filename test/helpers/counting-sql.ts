import type { Row, Sql } from "../../src/db/sql.js";

/** An executor that records every statement and the largest result it returned. */
export class CountingSql implements Sql {
  readonly dialect: Sql["dialect"];
  readonly log: { statements: string[]; maxRows: number };

  constructor(
    private readonly inner: Sql,
    log?: { statements: string[]; maxRows: number },
  ) {
    this.dialect = inner.dialect;
    this.log = log ?? { statements: [], maxRows: 0 };
  }

  async all<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]> {
    this.log.statements.push(text);
    const rows = await this.inner.all<T>(text, params);
    this.log.maxRows = Math.max(this.log.maxRows, rows.length);
    return rows;
  }

  async get<T = Row>(text: string, params?: readonly unknown[]): Promise<T | undefined> {
    this.log.statements.push(text);
    return this.inner.get<T>(text, params);
  }

  async run(text: string, params?: readonly unknown[]): Promise<number> {
    this.log.statements.push(text);
    return this.inner.run(text, params);
  }

  tx<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return this.inner.tx((tx) => fn(new CountingSql(tx, this.log)));
  }

  /** Statements that start with `verb` and mention `table`. */
  /** Statements of `verb` that name `table`; a statement's verb comes after its WITH clause, if any. */
  count(verb: string, table: string): number {
    return this.log.statements.filter((s) => verbOf(s) === verb && s.includes(table)).length;
  }
}

/** An executor whose transactions all fail just before they would commit: a crash at the worst moment. */
export class CrashBeforeCommitSql implements Sql {
  readonly dialect: Sql["dialect"];
  constructor(private readonly inner: Sql) {
    this.dialect = inner.dialect;
  }
  all<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]> {
    return this.inner.all<T>(text, params);
  }
  get<T = Row>(text: string, params?: readonly unknown[]): Promise<T | undefined> {
    return this.inner.get<T>(text, params);
  }
  run(text: string, params?: readonly unknown[]): Promise<number> {
    return this.inner.run(text, params);
  }
  tx<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return this.inner.tx(async (tx) => {
      await fn(tx);
      throw new Error("process died before COMMIT");
    });
  }
}

const VERBS = new Set(["select", "insert", "update", "delete", "values"]);

/** The statement's verb: its first one outside parentheses, so after a WITH clause's tables. */
function verbOf(statement: string): string | undefined {
  let depth = 0;
  for (const token of statement.toLowerCase().match(/[()]|\w+/g) ?? []) {
    if (token === "(") depth += 1;
    else if (token === ")") depth -= 1;
    else if (depth === 0 && VERBS.has(token)) return token;
  }
  return undefined;
}
