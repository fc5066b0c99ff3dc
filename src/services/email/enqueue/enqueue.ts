import type BetterSqlite3 from "better-sqlite3";
import type pg from "pg";
import { PgSql } from "../../../db/pg-sql.js";
import type { Sql } from "../../../db/sql.js";
import { EMAIL_WAKE, type EnqueueOptions, type EnqueueResult, prepareRows } from "./insert.js";
import { insertSync } from "./sqlite-insert.js";
import type { EmailInput } from "./validate.js";
import { writeRows } from "./write.js";

/**
 * The email queue's enqueue: the one way mail gets in, for Steward's own callers (HTTP, CLI,
 * the schedulers' notices, alerts) and for host apps alike. It takes the database handle the
 * caller already holds, so its own rows and the email job commit or roll back together (the
 * outbox pattern). Input is validated and any template rendered before anything is written; a
 * bad input throws EmailValidationError. The handle may be:
 * - a better-sqlite3 Database, inside `db.transaction(...)`: use the Sync functions, since
 *   better-sqlite3 transactions cannot span an await;
 * - a pg PoolClient or Client inside the app's own BEGIN ... COMMIT (NOTIFY is sent at its
 *   commit), or a pg Pool for a job on its own;
 * - Steward's own Sql executor.
 */
export type EmailDbHandle = Sql | BetterSqlite3.Database | pg.Pool | pg.PoolClient | pg.Client;

/** EnqueueOptions with `now` optional (default: the current time). */
export type HostEnqueueOptions = Partial<EnqueueOptions>;

const withNow = (options: HostEnqueueOptions = {}): EnqueueOptions =>
  options.now ? (options as EnqueueOptions) : { ...options, now: new Date() };

function isSql(handle: EmailDbHandle): handle is Sql {
  return "dialect" in handle && typeof (handle as Sql).tx === "function";
}

function isSqlite(handle: EmailDbHandle): handle is BetterSqlite3.Database {
  return typeof (handle as BetterSqlite3.Database).prepare === "function" && "inTransaction" in handle;
}

function toSql(handle: EmailDbHandle): Sql {
  if (isSql(handle)) return handle;
  if (isSqlite(handle)) {
    throw new TypeError(
      "a better-sqlite3 Database needs enqueueEmailSync/enqueueEmailsSync (its transactions are synchronous)",
    );
  }
  return new PgSql(pgHandle(handle) as pg.Pool);
}

type PgHandle = pg.Pool | pg.PoolClient | pg.Client;

function pgHandle(handle: EmailDbHandle): PgHandle {
  if (typeof (handle as pg.Pool).query === "function") return handle as PgHandle;
  throw new TypeError("not a database handle: pass a pg Pool/PoolClient/Client, a better-sqlite3 Database or a Sql");
}

export async function enqueueEmail(
  handle: EmailDbHandle,
  input: EmailInput,
  options?: HostEnqueueOptions,
): Promise<EnqueueResult> {
  const [result] = await enqueueEmails(handle, [input], options);
  return result as EnqueueResult;
}

/**
 * Many jobs, all or none: a bad input or a database error anywhere stores none. Validation is
 * done for the whole batch first; then one multi-row INSERT per chunk (SQLite) or one `unnest`
 * INSERT per chunk (PostgreSQL), several chunks in one transaction (joining the caller's when
 * the handle is already inside one).
 */
export async function enqueueEmails(
  handle: EmailDbHandle,
  inputs: readonly EmailInput[],
  options?: HostEnqueueOptions,
): Promise<EnqueueResult[]> {
  if (!isSql(handle) && isSqlite(handle)) return enqueueEmailsSync(handle, inputs, options);
  const rows = prepareRows(inputs, withNow(options));
  if (rows.length === 0) return [];
  const results = await writeRows(isSql(handle) ? handle : toSql(handle), rows);
  announce(results, options);
  return results;
}

function announce(results: readonly EnqueueResult[], options: HostEnqueueOptions | undefined): void {
  if (options?.wake && results.some((r) => r.created)) options.wake.announce(EMAIL_WAKE);
}

export function enqueueEmailSync(
  db: BetterSqlite3.Database,
  input: EmailInput,
  options?: HostEnqueueOptions,
): EnqueueResult {
  return enqueueEmailsSync(db, [input], options)[0] as EnqueueResult;
}

export function enqueueEmailsSync(
  db: BetterSqlite3.Database,
  inputs: readonly EmailInput[],
  options?: HostEnqueueOptions,
): EnqueueResult[] {
  const results = insertSync(db, prepareRows(inputs, withNow(options)));
  announce(results, options);
  return results;
}
