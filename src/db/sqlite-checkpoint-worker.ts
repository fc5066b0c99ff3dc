/**
 * Runs in a worker thread: checkpoints the WAL of one SQLite file from its own connection, so
 * the copy back into the database and its fsyncs happen off the event loop. PASSIVE never
 * waits for or blocks a writer; whatever it cannot copy now it copies next time.
 *
 * It runs only while the WAL grows: a write to the -wal (by any process) arms one checkpoint
 * `intervalMs` later, and a checkpoint that copied everything arms none, so an idle database
 * costs this thread no wake-ups. Where the folder cannot be watched it checkpoints every
 * `intervalMs`, as it always did.
 */
import fs from "node:fs";
import path from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import Sqlite from "better-sqlite3";

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new Sqlite(file);
db.pragma("busy_timeout = 0");

interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

let timer: NodeJS.Timeout | undefined;
let interval: NodeJS.Timeout | undefined;
let stopped = false;

/** Copies what it can; true when frames are left (a reader still needs them, or it was busy). */
function checkpoint(): boolean {
  try {
    const [result] = db.pragma("wal_checkpoint(PASSIVE)") as CheckpointResult[];
    return result === undefined || result.busy !== 0 || result.checkpointed < result.log;
  } catch {
    return true; // busy or locked: try again
  }
}

function arm(): void {
  if (stopped || timer) return;
  timer = setTimeout(() => {
    timer = undefined;
    if (checkpoint()) arm();
  }, intervalMs);
}

const wal = `${path.basename(file)}-wal`;
let watcher: fs.FSWatcher | undefined;
try {
  // The checkpoint writes the database file, not the -wal, so it never arms itself.
  watcher = fs.watch(path.dirname(file), { persistent: false }, (_event, name) => {
    if (name === null || String(name) === wal) arm();
  });
  watcher.on("error", () => {
    watcher?.close();
    interval ??= setInterval(checkpoint, intervalMs);
  });
  arm(); // a WAL left by an earlier process
} catch {
  interval = setInterval(checkpoint, intervalMs);
}

parentPort?.on("message", (message: unknown) => {
  if (message !== "stop") return;
  stopped = true;
  watcher?.close();
  if (timer) clearTimeout(timer);
  if (interval) clearInterval(interval);
  db.close();
  parentPort?.close();
});
