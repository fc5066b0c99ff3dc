import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { compiledWorkerUrl } from "../../../core/project.js";
import type {
  ClaimThreadReady,
  ClaimThreadReply,
  ClaimThreadRequest,
  ClaimThreadSettings,
} from "./sqlite-claim-worker.js";
import type { ClaimOrder } from "./sqlite-queue-sql.js";

/** A request the thread could not answer; `code` is SQLite's (SQLITE_BUSY, ...) where it gave one. */
export class ClaimThreadError extends Error {
  override readonly name = "ClaimThreadError";
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

const threadStopped = () => new ClaimThreadError("the email queue's database thread stopped", undefined);

/**
 * `starting` until its connection is open (a worker thread takes 60-90 ms to boot and load
 * better-sqlite3, which a burst of mail should not wait for); `running`; `stopped` by stop() or
 * after `idleExitMs` unused (a worker thread is a whole JavaScript engine, some 10 MB, and an
 * idle queue has nothing for it); `lost` when it ended on its own, which it should never do.
 */
export type ClaimThreadState = "starting" | "running" | "stopped" | "lost";

/**
 * The main thread's side of sqlite-claim-worker.ts. A request the thread took with it when it
 * ended is rejected. (A claim the thread committed but could not report leaves its jobs under
 * this process's lease: they go back to pending when the process stops, or at the reaper if it
 * dies.)
 */
export class ClaimThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private nextId = 0;
  private readonly exited: Promise<void>;
  private ended = false;
  private stopping = false;
  private ready = false;
  private lastUsed = performance.now();

  constructor(
    settings: ClaimThreadSettings,
    private readonly idleExitMs = 30_000,
  ) {
    this.worker = new Worker(compiledWorkerUrl(import.meta.url, "./sqlite-claim-worker.js"), {
      workerData: settings,
      name: "steward-email-claims",
    });
    // Held open only while a request waits for its answer (see ask): an idle thread must not
    // keep the process alive, and an outcome batch on its way must.
    this.worker.unref();
    this.worker.on("message", (reply: ClaimThreadReply | ClaimThreadReady) => {
      if (reply === "ready") {
        this.ready = true;
        return;
      }
      const request = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (reply.ok) request?.resolve(reply.value);
      else request?.reject(new ClaimThreadError(reply.message, reply.code));
    });
    this.worker.on("error", () => {}); // answered below, at the exit that follows
    this.armIdleExit(idleExitMs);
    this.exited = new Promise((resolve) =>
      this.worker.once("exit", () => {
        this.ended = true;
        for (const request of this.waiting.values()) {
          request.reject(threadStopped());
        }
        this.waiting.clear();
        resolve();
      }),
    );
  }

  get state(): ClaimThreadState {
    if (this.stopping) return "stopped";
    if (this.ended) return "lost";
    return this.ready ? "running" : "starting";
  }

  /** Stops the thread once it has gone unused for idleExitMs; one timer a period, not one per request. */
  private armIdleExit(delayMs: number): void {
    setTimeout(() => {
      if (this.stopping || this.ended) return;
      const unused = performance.now() - this.lastUsed;
      if (this.waiting.size === 0 && unused >= this.idleExitMs) void this.stop();
      else this.armIdleExit(Math.max(this.idleExitMs - unused, 1_000));
    }, delayMs).unref();
  }

  /** The ids of the jobs claimed. */
  claim(order: ClaimOrder): Promise<number[]> {
    return this.ask({ id: this.nextId++, op: "claim", order }) as Promise<number[]>;
  }

  settle(rows: unknown[], holder: string): Promise<number> {
    return this.ask({ id: this.nextId++, op: "settle", rows, holder }) as Promise<number>;
  }

  /** Ends the thread once the requests already sent are answered (it takes them in order). */
  stop(): Promise<void> {
    if (!this.stopping && !this.ended) {
      this.worker.ref(); // unref'd, but the wait for its exit must hold the process
      this.worker.postMessage("stop");
    }
    this.stopping = true;
    return this.exited;
  }

  private ask(request: ClaimThreadRequest): Promise<unknown> {
    if (this.stopping || this.ended) {
      return Promise.reject(threadStopped());
    }
    this.lastUsed = performance.now();
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(request.id, { resolve, reject });
      this.worker.postMessage(request);
    });
  }
}
