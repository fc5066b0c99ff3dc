/**
 * Runs in a worker thread: checkpoints the WAL of one SQLite file from its own connection, so
 * the copy back into the database and its fsyncs happen off the event loop. PASSIVE never
 * waits for or blocks a writer; whatever it cannot copy now it copies next time.
 *
 * It works only while the WAL grows: a write to the -wal (by any process) arms one checkpoint
 * `intervalMs` later, and a checkpoint that copied everything arms none. With `idleExitMs`, a
 * WAL left unwritten that long gives its disk space back (in steps, sqlite-wal.ts) and the
 * thread ends; the main thread starts another when the WAL is large again (sqlite-checkpointer.ts).
 * Where the folder cannot be watched it checkpoints every `intervalMs` and never ends.
 *
 * The main thread may also ask, by message, for a checkpoint now ("catch-up": the retention
 * cleanup waits for one between batches, so the WAL restarts from its beginning instead of
 * growing) or for the WAL to be given back to the file system ("shrink", after the cleanup).
 */
import fs from "node:fs";
import path from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import Sqlite from "better-sqlite3";
import { checkpoint, copyAll, framesLeft, SHRINK_PATIENCE, shrinkWalStep, walBytes } from "./sqlite-wal.js";

const { file, intervalMs, idleExitMs, shrinkStepBytes } = workerData as {
  file: string;
  intervalMs: number;
  idleExitMs: number;
  shrinkStepBytes: number;
};
const db = new Sqlite(file);
db.pragma("busy_timeout = 0");

let timer: NodeJS.Timeout | undefined;
let idle: NodeJS.Timeout | undefined;
let interval: NodeJS.Timeout | undefined;
let watcher: fs.FSWatcher | undefined;
let stopped = false;

function arm(): void {
  if (stopped) return;
  if (idle) clearTimeout(idle);
  idle = undefined;
  timer ??= setTimeout(() => {
    timer = undefined;
    if (framesLeft(checkpoint(db, "PASSIVE"))) arm();
    else armIdleExit();
  }, intervalMs);
}

/**
 * The WAL is given back in steps, as after a cleanup: one TRUNCATE of the 121 MB WAL a bulk
 * insert left held every writer for over 100 ms whenever the quiet spell ended, even with no
 * cleanup in sight. The steps wait for no one here (busy_timeout 0): with a reader or writer at
 * work they answer busy, and a WAL not given back keeps the thread for another quiet spell.
 */
function armIdleExit(): void {
  if (stopped || idleExitMs <= 0 || idle) return;
  idle = setTimeout(() => {
    idle = undefined;
    shrink(shrinkStepBytes, (done) => (done ? stop() : armIdleExit()));
  }, idleExitMs);
}

/** Steps a few milliseconds apart, so writers get in between; gives up after a run of steps that freed nothing. */
function shrink(stepBytes: number, reply: (done: boolean) => void): void {
  let fruitless = 0;
  let last = walBytes(file);
  const step = () => {
    if (stopped) return reply(false);
    if (shrinkWalStep(db, stepBytes) === "done") return reply(true);
    const size = walBytes(file);
    fruitless = size < last ? 0 : fruitless + 1;
    last = size;
    if (fruitless >= SHRINK_PATIENCE) return reply(false);
    setTimeout(step, SHRINK_GAP_MS);
  };
  step();
}

/** copyAll (see CATCH_UP_RESTART), tried a few times a few milliseconds apart: a commit in progress makes it busy. */
function catchUp(reply: (done: boolean) => void, attempt = 1): void {
  if (stopped) reply(false);
  else if (copyAll(db, CATCH_UP_RESTART)) reply(true);
  else if (attempt >= CATCH_UP_ATTEMPTS) reply(false);
  else setTimeout(() => catchUp(reply, attempt + 1), CATCH_UP_GAP_MS);
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
    interval ??= setInterval(() => checkpoint(db, "PASSIVE"), intervalMs);
  });
  arm(); // the WAL that made the main thread start this one
} catch {
  interval = setInterval(() => checkpoint(db, "PASSIVE"), intervalMs);
}

const SHRINK_GAP_MS = 10;
const CATCH_UP_ATTEMPTS = 3;
const CATCH_UP_GAP_MS = 2;
/**
 * When the cleanup's catch-up restarts the WAL: from 4 MB (of 4 KiB pages) if the PASSIVE before
 * took under 20 ms, and at 32 MB in any case, below the connection's fallback of 10,000 pages.
 */
const CATCH_UP_RESTART = { afterFrames: 1_024, quickMs: 20, forceFrames: 8_192 };

export type WalRequest = { kind: "catch-up" } | { kind: "shrink"; stepBytes: number };
export type WorkerRequest = WalRequest & { id: number };
export interface WorkerReply {
  id: number;
  done: boolean;
}

parentPort?.on("message", (message: "stop" | WorkerRequest) => {
  if (message === "stop") {
    if (!stopped) stop();
    return;
  }
  const reply = (done: boolean) => {
    if (!stopped) parentPort?.postMessage({ id: message.id, done } satisfies WorkerReply);
  };
  if (stopped) return;
  if (message.kind === "catch-up") {
    catchUp(reply);
  } else {
    shrink(message.stepBytes, reply);
  }
});
