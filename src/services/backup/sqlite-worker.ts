/**
 * Runs the heavy SQLite work of a backup off the main thread: counting rows, the online
 * backup, and `PRAGMA integrity_check` are synchronous in better-sqlite3 and would stall
 * every other service (HTTP status, email workers, lease renewals) for seconds on a large
 * database.
 */
import { parentPort, workerData } from "node:worker_threads";
import Sqlite from "better-sqlite3";

export type SqliteJob = { op: "snapshot"; source: string; dest: string } | { op: "check"; file: string };

export interface SnapshotResult {
  tables: Record<string, number>;
}

export interface CheckResult {
  /** `["ok"]` for a sound file, else SQLite's list of problems. */
  integrity: string[];
  tables: Record<string, number>;
}

export type WorkerMessage =
  | { type: "progress"; done: number; total: number }
  | { type: "result"; value: SnapshotResult | CheckResult }
  | { type: "error"; message: string };

/**
 * better-sqlite3 builds SQLite with a 16 MB page cache; a backup reads each page once, so
 * SQLite's usual 2 MB does as well and keeps a backup's memory flat.
 */
const CACHE_KIB = -2000;

function post(message: WorkerMessage): void {
  parentPort?.postMessage(message);
}

function countTables(db: Sqlite.Database): Record<string, number> {
  const names = db
    .prepare("select name from sqlite_schema where type = 'table' and name not like 'sqlite_%' order by name")
    .pluck()
    .all() as string[];
  const out: Record<string, number> = {};
  for (const name of names) {
    const quoted = `"${name.replaceAll('"', '""')}"`;
    out[name] = Number(db.prepare(`select count(*) from ${quoted}`).pluck().get());
  }
  return out;
}

/**
 * Holding one read transaction across the whole backup pins it to a single snapshot: rows
 * counted here are exactly the rows copied, and other connections' commits meanwhile
 * neither restart the backup nor appear in it (WAL readers do not block writers).
 */
async function snapshot(source: string, dest: string): Promise<SnapshotResult> {
  const db = new Sqlite(source, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 10000");
    db.pragma(`cache_size = ${CACHE_KIB}`);
    db.exec("BEGIN");
    const tables = countTables(db);
    await db.backup(dest, {
      progress({ totalPages, remainingPages }) {
        post({ type: "progress", done: totalPages - remainingPages, total: totalPages });
        // 4 MB a step: few enough steps to be fast, small enough to keep the page cache small.
        return 1024;
      },
    });
    db.exec("COMMIT");
    return { tables };
  } finally {
    db.close();
  }
}

function check(file: string): CheckResult {
  const db = new Sqlite(file, { fileMustExist: true });
  try {
    db.pragma(`cache_size = ${CACHE_KIB}`);
    const integrity = db.pragma("integrity_check", { simple: false }) as Array<{ integrity_check: string }>;
    return { integrity: integrity.map((row) => row.integrity_check), tables: countTables(db) };
  } finally {
    db.close();
  }
}

if (parentPort) {
  const job = workerData as SqliteJob;
  (async () => (job.op === "snapshot" ? snapshot(job.source, job.dest) : check(job.file)))().then(
    (value) => post({ type: "result", value }),
    (error: unknown) => post({ type: "error", message: error instanceof Error ? error.message : String(error) }),
  );
}
