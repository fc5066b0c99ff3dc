/**
 * The WAL steps that long jobs need, on any connection: the checkpoint thread runs them on its
 * own (sqlite-checkpoint-worker.ts), and a process without the thread (a CLI command) on its
 * only one. The connection must not wait for locks (busy_timeout 0): each step answers "busy"
 * or "again" instead, and the caller tries later.
 */
import fs from "node:fs";
import { performance } from "node:perf_hooks";
import type Sqlite from "better-sqlite3";

export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export function checkpoint(
  db: Sqlite.Database,
  mode: "PASSIVE" | "RESTART" | "TRUNCATE",
): CheckpointResult | undefined {
  try {
    return (db.pragma(`wal_checkpoint(${mode})`) as CheckpointResult[])[0];
  } catch {
    return undefined; // busy or locked: try again
  }
}

/** Whether a checkpoint left frames behind (a reader still needs them, or it was busy). */
export function framesLeft(result: CheckpointResult | undefined): boolean {
  return result === undefined || result.busy !== 0 || result.checkpointed < result.log;
}

/**
 * Copies every frame, and makes sure the next write starts the WAL again from its beginning once
 * it holds `restart.afterFrames` frames or more. PASSIVE alone cannot promise a restart under a
 * steady stream of commits: each one appends while it copies, so it never ends with nothing
 * left, and the WAL grows until a connection's own automatic checkpoint (on the event loop)
 * copies it all. So PASSIVE copies the bulk without holding anyone up, then RESTART copies the
 * few frames committed meanwhile holding the write lock, fsyncs included, while every writer
 * waits (SQLite's busy handler lets a waiting writer try again only after sleeps of 1, 2, 5, 10,
 * 15, 20, 25 ms). On a disk busy elsewhere those fsyncs took 58-297 ms (10 million jobs, right
 * after the fill), so RESTART waits for a quick PASSIVE (the fsyncs' cost now) unless the WAL
 * has reached `restart.forceFrames`.
 */
export function copyAll(
  db: Sqlite.Database,
  restart: { afterFrames: number; quickMs: number; forceFrames: number } = {
    afterFrames: 0,
    quickMs: 0,
    forceFrames: 0,
  },
): boolean {
  const started = performance.now();
  const passive = checkpoint(db, "PASSIVE");
  if (framesLeft(passive)) return false;
  const frames = passive?.log ?? 0;
  if (frames < restart.afterFrames) return true;
  if (frames < restart.forceFrames && performance.now() - started > restart.quickMs) return true;
  return !framesLeft(checkpoint(db, "RESTART"));
}

export function walBytes(file: string): number {
  try {
    return fs.statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

/**
 * One step of giving the WAL's disk space back, at most `stepBytes` of it. A TRUNCATE
 * checkpoint frees the whole file at once while holding the write lock, and freeing blocks is
 * not free: 112-229 ms for a 121-156 MB WAL on the ext4 (mounted with discard) the benchmarks
 * ran on, while every writer of every process waits, an event loop's own included (its busy
 * handler sleeps). A step is one tiny write (user_version set to itself) just after copyAll:
 * that write starts the WAL again from its beginning, and with journal_size_limit its commit
 * cuts the file to `stepBytes` less than it was (SQLite does this for the first commit of a
 * restarted WAL only). Writers wait for one step, some 8 ms for 16 MB. A WAL already that small
 * is truncated whole. "again" when a reader or writer was in the way, or there is more to free.
 */
export function shrinkWalStep(db: Sqlite.Database, stepBytes: number): "done" | "again" {
  if (!copyAll(db)) return "again";
  const size = walBytes(db.name);
  if (size <= stepBytes) {
    const result = checkpoint(db, "TRUNCATE");
    return result && result.busy === 0 && result.log === 0 ? "done" : "again";
  }
  db.pragma(`journal_size_limit = ${size - stepBytes}`);
  try {
    db.transaction(() =>
      db.pragma(`user_version = ${Number(db.pragma("user_version", { simple: true }))}`),
    ).immediate();
  } catch {
    // busy: another writer is at work; the next step tries again
  } finally {
    db.pragma("journal_size_limit = -1");
  }
  return "again";
}

/** How much of the WAL one step frees by default. */
export const SHRINK_STEP_BYTES = 16 * 1024 * 1024;
/** Steps in a row that may free nothing (a reader holding old frames, busy writers) before giving up. */
export const SHRINK_PATIENCE = 100;
