/**
 * Runs in a worker thread: checkpoints the WAL of one SQLite file from its own connection, so
 * the copy back into the database and its fsyncs happen off the event loop. PASSIVE never
 * waits for or blocks a writer; whatever it cannot copy now it copies next time.
 *
 * It works only while the WAL grows: a write to the -wal (by any process) arms one checkpoint
 * `intervalMs` later, and a checkpoint that copied everything arms none. With `idleExitMs`, a
 * WAL left unwritten that long is truncated (which gives its disk space back) and the thread
 * ends; the main thread starts another when the WAL is large again (sqlite-checkpointer.ts).
 * Where the folder cannot be watched it checkpoints every `intervalMs` and never ends.
 */
import fs from "node:fs";
import path from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import Sqlite from "better-sqlite3";

const { file, intervalMs, idleExitMs } = workerData as { file: string; intervalMs: number; idleExitMs: number };
const db = new Sqlite(file);
db.pragma("busy_timeout = 0");

interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

let timer: NodeJS.Timeout | undefined;
let idle: NodeJS.Timeout | undefined;
let interval: NodeJS.Timeout | undefined;
let watcher: fs.FSWatcher | undefined;
let stopped = false;

function checkpoint(mode: "PASSIVE" | "TRUNCATE"): CheckpointResult | undefined {
  try {
    return (db.pragma(`wal_checkpoint(${mode})`) as CheckpointResult[])[0];
  } catch {
    return undefined; // busy or locked: try again
  }
}

/** Copies what it can; true when frames are left (a reader still needs them, or it was busy). */
function framesLeft(result: CheckpointResult | undefined): boolean {
  return result === undefined || result.busy !== 0 || result.checkpointed < result.log;
}

function arm(): void {
  if (stopped) return;
  if (idle) clearTimeout(idle);
  idle = undefined;
  timer ??= setTimeout(() => {
    timer = undefined;
    if (framesLeft(checkpoint("PASSIVE"))) arm();
    else armIdleExit();
  }, intervalMs);
}

/**
 * TRUNCATE waits for no one here (busy_timeout 0): with a reader or writer at work it answers
 * busy and the thread stays for another quiet spell.
 */
function armIdleExit(): void {
  if (stopped || idleExitMs <= 0 || idle) return;
  idle = setTimeout(() => {
    idle = undefined;
    const result = checkpoint("TRUNCATE");
    if (result && result.busy === 0 && result.log === 0) stop();
    else armIdleExit();
  }, idleExitMs);
}

function stop(): void {
  stopped = true;
  watcher?.close();
  for (const t of [timer, idle]) if (t) clearTimeout(t);
  if (interval) clearInterval(interval);
  db.close();
  parentPort?.close();
}

const wal = `${path.basename(file)}-wal`;
try {
  // The checkpoint writes the database file, not the -wal, so it never arms itself.
  watcher = fs.watch(path.dirname(file), { persistent: false }, (_event, name) => {
    if (name === null || String(name) === wal) arm();
  });
  watcher.on("error", () => {
    watcher?.close();
    interval ??= setInterval(() => checkpoint("PASSIVE"), intervalMs);
  });
  arm(); // the WAL that made the main thread start this one
} catch {
  interval = setInterval(() => checkpoint("PASSIVE"), intervalMs);
}

parentPort?.on("message", (message: unknown) => {
  if (message === "stop" && !stopped) stop();
});
