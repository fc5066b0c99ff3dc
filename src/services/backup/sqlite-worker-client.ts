import { Worker } from "node:worker_threads";
import { compiledWorkerUrl } from "../../core/project.js";
import type { CheckResult, SnapshotResult, SqliteJob, WorkerMessage } from "./sqlite-worker.js";

export type Progress = (done: number, total: number) => void;

function runJob<T>(job: SqliteJob, signal?: AbortSignal, onProgress?: Progress): Promise<T> {
  signal?.throwIfAborted();
  const worker = new Worker(compiledWorkerUrl(import.meta.url, "./sqlite-worker.js"), { workerData: job });
  let settled = false;
  return new Promise<T>((resolve, reject) => {
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      void worker.terminate();
      fn();
    };
    const onAbort = () => finish(() => reject(signal?.reason ?? new Error("aborted")));
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "progress") onProgress?.(message.done, message.total);
      else if (message.type === "result") finish(() => resolve(message.value as T));
      else finish(() => reject(new Error(message.message)));
    });
    worker.on("error", (error) => finish(() => reject(error)));
    worker.on("exit", (code) => finish(() => reject(new Error(`the SQLite worker exited with code ${code}`))));
  });
}

/** Copies `source` to `dest` with the online backup API, counting rows in the same snapshot. */
export function snapshotSqlite(
  source: string,
  dest: string,
  signal?: AbortSignal,
  onProgress?: Progress,
): Promise<SnapshotResult> {
  return runJob<SnapshotResult>({ op: "snapshot", source, dest }, signal, onProgress);
}

/** `PRAGMA integrity_check` and row counts of a SQLite file. */
export function checkSqlite(file: string, signal?: AbortSignal): Promise<CheckResult> {
  return runJob<CheckResult>({ op: "check", file }, signal);
}
