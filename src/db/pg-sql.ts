import type pg from "pg";
import type { Row, Sql } from "./sql.js";

type Queryable = pg.Pool | pg.PoolClient;

/** PostgreSQL executor over a pool; a transaction holds one client for its duration. */
export class PgSql implements Sql {
  readonly dialect = "pg" as const;
  /** `target` is public so that a caller may keep state per connection or pool (enqueue's ids). */
  constructor(readonly target: Queryable) {}

  async all<T = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.query(text, params)).rows as T[];
  }

  async get<T = Row>(text: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(text, params))[0];
  }

  async run(text: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.query(text, params)).rowCount ?? 0;
  }

  private async query(text: string, params: readonly unknown[]): Promise<pg.QueryResult> {
    const sql = numbered(text);
    const name = preparedNames.get(sql);
    if (name === undefined) return this.target.query(sql, params as unknown[]);
    try {
      return await this.target.query({ name, text: sql, values: params as unknown[] });
    } catch (error) {
      if (!cannotUsePrepared(error)) throw error;
      // Another process changed the table under a connection's prepared plan (a rolling
      // upgrade's migration: PostgreSQL will not hand back rows of another shape), or a pooler
      // moved us to another server connection. Unnamed from now on in this process; the
      // statement is planned afresh each time, as before.
      preparedNames.delete(sql);
      return this.target.query(sql, params as unknown[]);
    }
  }

  async tx<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    if (!isPool(this.target)) return fn(this);
    const client = await this.target.connect();
    let broken = false;
    try {
      await client.query("BEGIN");
      try {
        const result = await fn(new PgSql(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true; // the connection died; do not hand it back to the pool
        }
        throw error;
      }
    } finally {
      client.release(broken);
    }
  }
}

/**
 * A pool, by shape rather than class: a host app's pg may be another copy of the package, and
 * `instanceof` would take its Pool for a client already inside a transaction and run none.
 * Only a pool counts its clients; a Client or PoolClient joins the caller's transaction.
 */
function isPool(target: Queryable): target is pg.Pool {
  return typeof (target as pg.Pool).totalCount === "number" && typeof (target as pg.Pool).connect === "function";
}

/**
 * Statements on the send path, by numbered text: named, so each pooled connection parses and
 * plans them once instead of on every call. The claim's loose scan cost 0.5-0.7 ms of parsing
 * and planning per call here (a claim of one job took 1.3 ms named, 2.0 ms unnamed; local
 * server, synchronous commit), which a job committed by another process waits through.
 * Only fixed texts belong here: each name is a plan kept in every connection of the pool.
 */
const preparedNames = new Map<string, string>();
let preparedCount = 0;

/** Marks `text` (with `?` placeholders) to run as a named prepared statement on PostgreSQL; returns it. */
export function prepared(text: string): string {
  const sql = numbered(text);
  if (!preparedNames.has(sql)) {
    preparedCount += 1;
    preparedNames.set(sql, `steward_${preparedCount}`);
  }
  return text;
}

/**
 * A named statement this connection cannot use: "cached plan must not change result type" (the
 * table's columns changed since it was prepared), or, behind a pooler in transaction mode
 * (PgBouncer before 1.21, or without max_prepared_statements), a name the server connection of
 * the moment does not have, or already has from another client.
 */
function cannotUsePrepared(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === "26000" || code === "42P05") return true;
  return code === "0A000" && typeof message === "string" && message.includes("cached plan");
}

const numberedCache = new Map<string, string>();

/** Rewrites `?` placeholders to `$1, $2, ...`, leaving quoted text and identifiers alone. */
export function numbered(text: string): string {
  const cached = numberedCache.get(text);
  if (cached !== undefined) return cached;
  let out = "";
  let n = 0;
  let quote: string | null = null;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === "?") {
      n += 1;
      out += `$${n}`;
    } else {
      out += ch;
    }
  }
  if (numberedCache.size > 2000) numberedCache.clear();
  numberedCache.set(text, out);
  return out;
}
