import type BetterSqlite3 from "better-sqlite3";
import type pg from "pg";
import { PgSql } from "../../../db/pg-sql.js";
import type { Sql } from "../../../db/sql.js";
import type { EmailStatus } from "../store/job.js";
import {
  assembleResults,
  EMAIL_WAKE,
  type EnqueueOptions,
  type EnqueueResult,
  type ExistingRow,
  existingByKeysStatement,
  insertRows,
  insertStatement,
  keysToLookUp,
  prepareRows,
  ROWS_PER_STATEMENT,
} from "./insert.js";
import type { EmailInput } from "./validate.js";

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

const withNow = (options: HostEnqueueOptions = {}): EnqueueOptions => ({ ...options, now: options.now ?? new Date() });

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
  if (typeof (handle as pg.Pool).query === "function") return new PgSql(handle as pg.Pool);
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
 * Many jobs in one INSERT (one per 1,000), all or none: a bad input or a database error anywhere
 * stores none. More than one INSERT runs in a transaction (joining the caller's when the handle
 * is already inside one).
 */
export async function enqueueEmails(
  handle: EmailDbHandle,
  inputs: readonly EmailInput[],
  options?: HostEnqueueOptions,
): Promise<EnqueueResult[]> {
  if (!isSql(handle) && isSqlite(handle)) return enqueueEmailsSync(handle, inputs, options);
  const sql = toSql(handle);
  const rows = prepareRows(inputs, withNow(options));
  if (rows.length === 0) return [];
  const wake = options?.wake;
  // One INSERT is atomic on its own; a transaction would only add a round trip to every single enqueue.
  return rows.length > ROWS_PER_STATEMENT ? sql.tx((tx) => insertRows(tx, rows, wake)) : insertRows(sql, rows, wake);
}

export function enqueueEmailSync(
  db: BetterSqlite3.Database,
  input: EmailInput,
  options?: HostEnqueueOptions,
): EnqueueResult {
  return enqueueEmailsSync(db, [input], options)[0] as EnqueueResult;
}

const statements = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

function prepared(db: BetterSqlite3.Database, text: string): BetterSqlite3.Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let statement = cache.get(text);
  if (!statement) {
    statement = db.prepare(text);
    cache.set(text, statement);
  }
  return statement;
}

/** SQLite has no Date or boolean type: instants become epoch milliseconds, as Steward stores them. */
const bind = (values: unknown[]) => values.map((v) => (v instanceof Date ? v.getTime() : v === undefined ? null : v));

export function enqueueEmailsSync(
  db: BetterSqlite3.Database,
  inputs: readonly EmailInput[],
  options?: HostEnqueueOptions,
): EnqueueResult[] {
  const rows = prepareRows(inputs, withNow(options));
  const inserted: Array<{ id: string; status: EmailStatus }> = [];
  const existing: ExistingRow[] = [];
  const write = () => {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
      const statement = prepared(db, insertStatement(chunk.length));
      inserted.push(...(statement.all(...bind(chunk.flatMap((r) => r.values))) as typeof inserted));
    }
    const keys = keysToLookUp(rows, new Set(inserted.map((r) => r.id)));
    for (let i = 0; i < keys.length; i += ROWS_PER_STATEMENT) {
      const chunk = keys.slice(i, i + ROWS_PER_STATEMENT);
      existing.push(...(prepared(db, existingByKeysStatement(chunk.length)).all(...chunk) as ExistingRow[]));
    }
  };
  // Inside the caller's transaction this joins it; on its own, the chunks commit together.
  if (db.inTransaction) write();
  else db.transaction(write).immediate();
  if (inserted.length > 0) options?.wake?.announce(EMAIL_WAKE);
  return assembleResults(rows, inserted, existing);
}
