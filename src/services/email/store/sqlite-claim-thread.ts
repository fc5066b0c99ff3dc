import { Worker } from "node:worker_threads";
import { compiledWorkerUrl } from "../../../core/project.js";
import type { ClaimThreadReply, ClaimThreadRequest, ClaimThreadSettings } from "./sqlite-claim-worker.js";
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

/**
 * The main thread's side of sqlite-claim-worker.ts. A request the thread took with it when it
 * ended is rejected; `alive` turns false and the store goes back to its own connection. (A claim
 * the thread committed but could not report leaves its jobs under this process's lease: they go
 * back to pending when the process stops, or at the reaper if it dies.)
 */
export class ClaimThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private nextId = 0;
  private exited: Promise<void>;
  private running = true;

  constructor(settings: ClaimThreadSettings) {
    this.worker = new Worker(compiledWorkerUrl(import.meta.url, "./sqlite-claim-worker.js"), {
      workerData: settings,
      name: "steward-email-claims",
    });
    // Held open only while a request waits for its answer (see ask): an idle thread must not
    // keep the process alive, and an outcome batch on its way must.
    this.worker.unref();
    this.worker.on("message", (reply: ClaimThreadReply) => {
      const request = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (reply.ok) request?.resolve(reply.value);
      else request?.reject(new ClaimThreadError(reply.message, reply.code));
    });
    this.worker.on("error", () => {}); // answered below, at the exit that follows
    this.exited = new Promise((resolve) =>
      this.worker.once("exit", () => {
        this.running = false;
        for (const request of this.waiting.values()) {
          request.reject(new ClaimThreadError("the email queue's database thread stopped", undefined));
        }
        this.waiting.clear();
        resolve();
      }),
    );
  }

  get alive(): boolean {
    return this.running;
  }

  claim(order: ClaimOrder): Promise<unknown[][]> {
    return this.ask({ id: this.nextId++, op: "claim", order }) as Promise<unknown[][]>;
  }

  settle(rows: string, holder: string): Promise<number> {
    return this.ask({ id: this.nextId++, op: "settle", rows, holder }) as Promise<number>;
  }

  /** Ends the thread once the requests already sent are answered (it takes them in order). */
  stop(): Promise<void> {
    if (this.running) {
      this.worker.ref(); // unref'd, but the wait for its exit must hold the process
      this.worker.postMessage("stop");
    }
    return this.exited;
  }

  private ask(request: ClaimThreadRequest): Promise<unknown> {
    if (!this.running)
      return Promise.reject(new ClaimThreadError("the email queue's database thread stopped", undefined));
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(request.id, { resolve, reject });
      this.worker.postMessage(request);
    });
  }
}
