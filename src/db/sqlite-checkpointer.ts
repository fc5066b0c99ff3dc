import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { compiledWorkerUrl } from "../core/project.js";
import type { WalRequest, WorkerReply, WorkerRequest } from "./sqlite-checkpoint-worker.js";
import { SHRINK_STEP_BYTES } from "./sqlite-wal.js";

/** What a long job on the event loop's connection may ask of the WAL's own thread. */
export interface WalControl {
  /**
   * A checkpoint now, from the worker thread: true when it copied every frame and, once the WAL
   * holds 4 MB (on a quick disk) or 32 MB, made sure the next write starts it again from its
   * beginning rather than making it longer.
   */
  catchUp(): Promise<boolean>;
  /** Gives the WAL's disk space back in small steps (sqlite-wal.ts); true once it is empty. */
  shrink(): Promise<boolean>;
}

export interface Checkpointer extends WalControl {
  /** Whether the worker thread is running now (it starts with a large WAL and ends when idle). */
  readonly running: boolean;
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  /** After a write to the WAL, the worker checkpoints this much later. */
  intervalMs?: number;
  /** The worker starts once the WAL is this large: SQLite's own automatic checkpoint's 1,000 pages. */
  startBytes?: number;
  /** The worker ends after this long without WAL writes, having truncated the WAL. */
  idleExitMs?: number;
  /** How much of the WAL one step of shrink() gives back. */
  shrinkStepBytes?: number;
}

/**
 * SQLite's automatic checkpoint runs on the connection that commits, which for Steward is the
 * event loop: every thousand pages a commit also copies the WAL back and fsyncs twice. This
 * moves that work to a worker thread for the long-running process; the connection keeps a
 * larger automatic checkpoint only as a fallback should the worker fall behind.
 *
 * A worker thread is a whole JavaScript engine (some 10 MB of memory), and an idle Steward
 * writes a few pages a minute, so the worker runs only while there is work for it: it starts
 * when a write (any process's) leaves the WAL past `startBytes`, checkpoints `intervalMs` after
 * each write, and after `idleExitMs` without writes truncates the WAL and ends. Where the folder
 * cannot be watched it starts at once and never ends; where it can but raises no events (some
 * network mounts) the connection's fallback automatic checkpoint does the work.
 */
export function startCheckpointer(file: string, options: CheckpointerOptions = {}): Checkpointer {
  const {
    intervalMs = 200,
    startBytes = 4 * 1024 * 1024,
    idleExitMs = 60_000,
    shrinkStepBytes = SHRINK_STEP_BYTES,
  } = options;
  const wal = `${file}-wal`;
  let worker: Worker | undefined;
  let nextId = 0;
  const waiting = new Map<number, (done: boolean) => void>();
  let exited: Promise<void> = Promise.resolve();
  let stopping: Promise<void> | undefined;
  let watcher: fs.FSWatcher | undefined;

  const launch = (exitWhenIdle: boolean) => {
    if (worker || stopping) return;
    const thread = new Worker(compiledWorkerUrl(import.meta.url, "./sqlite-checkpoint-worker.js"), {
      workerData: { file, intervalMs, idleExitMs: exitWhenIdle ? idleExitMs : 0, shrinkStepBytes },
    });
    worker = thread;
    thread.unref();
    thread.on("error", () => {}); // the connection's own automatic checkpoint still runs
    thread.on("message", (reply: WorkerReply) => {
      waiting.get(reply.id)?.(reply.done);
      waiting.delete(reply.id);
    });
    exited = new Promise((resolve) =>
      thread.once("exit", () => {
        if (worker === thread) worker = undefined;
        // A request the thread took with it is answered "not done"; the caller decides what then.
        for (const answer of waiting.values()) answer(false);
        waiting.clear();
        resolve();
      }),
    );
  };
  /** Starts the thread if it is not running (as a large WAL would), and asks it. */
  const ask = (request: WalRequest): Promise<boolean> => {
    launch(true);
    const thread = worker;
    if (!thread) return Promise.resolve(false); // stopping
    const id = nextId++;
    return new Promise((resolve) => {
      waiting.set(id, resolve);
      thread.postMessage({ ...request, id } satisfies WorkerRequest);
    });
  };
  const walBytes = () => {
    try {
      return fs.statSync(wal).size;
    } catch {
      return 0;
    }
  };
  const check = () => {
    if (!worker && walBytes() >= startBytes) launch(true);
  };

  try {
    const name = path.basename(wal);
    // Not persistent: watching must never keep the process alive.
    watcher = fs.watch(path.dirname(file), { persistent: false }, (_event, changed) => {
      if (changed === null || String(changed) === name) check();
    });
    watcher.on("error", () => {
      watcher?.close();
      launch(false);
    });
    check(); // a WAL left large by an earlier process
  } catch {
    launch(false);
  }

  return {
    get running() {
      return worker !== undefined;
    },
    catchUp: () => ask({ kind: "catch-up" }),
    shrink: () => ask({ kind: "shrink", stepBytes: shrinkStepBytes }),
    stop() {
      stopping ??= (async () => {
        watcher?.close();
        const thread = worker;
        if (thread) {
          // Unref'd so it never holds the process open, but the wait for its exit must.
          thread.ref();
          thread.postMessage("stop");
        }
        await exited;
      })();
      return stopping;
    },
  };
}
