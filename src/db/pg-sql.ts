import type pg from "pg";
import type { Row, Sql } from "./sql.js";

type Queryable = pg.Pool | pg.PoolClient;

/** PostgreSQL executor over a pool; a transaction holds one client for its duration. */
export class PgSql implements Sql {
  readonly dialect = "pg" as const;
  constructor(private readonly target: Queryable) {}

  async all<T = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    const result = await this.target.query(numbered(text), params as unknown[]);
    return result.rows as T[];
  }

  async get<T = Row>(text: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(text, params))[0];
  }

  async run(text: string, params: readonly unknown[] = []): Promise<number> {
    const result = await this.target.query(numbered(text), params as unknown[]);
    return result.rowCount ?? 0;
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
