import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import Sqlite from "better-sqlite3";
import type pg from "pg";
import { PgSql } from "./pg-sql.js";
import type { Dialect, Sql } from "./sql.js";
import { startCheckpointer } from "./sqlite-checkpointer.js";
import { SqliteSql } from "./sqlite-sql.js";
import type { DatabaseTarget } from "./url.js";

export interface Database {
  readonly dialect: Dialect;
  readonly sql: Sql;
  /** The driver handle, for code that must speak the dialect directly (LISTEN, backup API). */
  readonly driver: { dialect: "sqlite"; db: Sqlite.Database } | { dialect: "pg"; pool: pg.Pool };
  /** Where the data lives, with any password removed. */
  readonly description: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL pool size; the email workers and schedulers share it. */
  poolSize?: number;
  /** SQLite busy timeout: how long a writer waits for another process's lock. */
  busyTimeoutMs?: number;
  /** SQLite: checkpoint the WAL from a worker thread (the long-running process; see sqlite-checkpointer). */
  backgroundCheckpoint?: boolean;
}

export function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Database {
  return target.dialect === "sqlite" ? openSqlite(target.file, options) : openPg(target.url, options);
}

function openSqlite(file: string, options: OpenOptions): Database {
  // Mail, addresses and tokens live here: the folder is created 0700 and a new database file
  // 0600. SQLite gives the -wal and -shm files the database file's own mode, so they follow.
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  createPrivately(file);
  const db = new Sqlite(file);
  db.pragma("journal_mode = WAL");
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  db.pragma("foreign_keys = ON");
  // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the
  // last commits, which is the trade SQLite's own docs recommend for WAL.
  db.pragma("synchronous = NORMAL");
  const checkpointer = options.backgroundCheckpoint ? startCheckpointer(file) : undefined;
  // The fallback: the worker normally keeps the WAL far below this many pages.
  if (checkpointer) db.pragma("wal_autocheckpoint = 10000");
  let closed = false;
  return {
    dialect: "sqlite",
    sql: new SqliteSql(db, checkpointer),
    driver: { dialect: "sqlite", db },
    description: file,
    async close() {
      if (closed) return;
      closed = true;
      await checkpointer?.stop();
      db.close();
    },
  };
}

/**
 * Creates an empty file (an empty file is an empty SQLite database) mode 0600, unless it
 * exists. An existing file keeps the mode its owner gave it: a host app may share it on purpose.
 */
function createPrivately(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, "wx", 0o600));
  } catch {
    // It exists (another process was first), or SQLite will say what is wrong when it opens it.
  }
}

/**
 * The pg driver, loaded when a PostgreSQL database is opened: a process on SQLite never holds
 * its 10 MB or so of memory. (pg is CommonJS, so it loads synchronously, as openDatabase must.)
 */
export function loadPg(): typeof pg {
  return createRequire(import.meta.url)("pg") as typeof pg;
}

// int8 (counts, sums) as numbers: every count we read fits in 2^53.
const INT8_OID = 20;
function int8AsNumber(driver: typeof pg): pg.CustomTypesConfig {
  return {
    getTypeParser(oid: number, format?: "text" | "binary") {
      if (oid === INT8_OID) return (value: string) => Number(value);
      return driver.types.getTypeParser(oid, format);
    },
  } as pg.CustomTypesConfig;
}

function openPg(url: string, options: OpenOptions): Database {
  const driver = loadPg();
  const pool = new driver.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types: int8AsNumber(driver),
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  let closing: Promise<void> | undefined;
  const parsed = new URL(url);
  return {
    dialect: "pg",
    sql: new PgSql(pool),
    driver: { dialect: "pg", pool },
    description: `${parsed.protocol}//${parsed.host}${parsed.pathname}`,
    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}
