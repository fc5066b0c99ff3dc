/**
 * Runs in a worker thread: checkpoints the WAL of one SQLite file from its own connection, so
 * the copy back into the database and its fsyncs happen off the event loop. PASSIVE never
 * waits for or blocks a writer; whatever it cannot copy now it copies next time.
 */
import { parentPort, workerData } from "node:worker_threads";
import Sqlite from "better-sqlite3";

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new Sqlite(file);
db.pragma("busy_timeout = 0");
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // Busy or locked: the next interval tries again.
  }
}, intervalMs);
parentPort?.on("message", (message: unknown) => {
  if (message !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
