import os from "node:os";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import type { SendMailOptions } from "nodemailer";
import { compiledWorkerUrl } from "../../../../core/project.js";
import { fromWire } from "../threads/protocol.js";
import { type ComposedMail, type Composer, inlineComposer } from "./compose.js";
import type { FromComposer, ToComposer } from "./protocol.js";

interface Waiting {
  mail: SendMailOptions;
  resolve(composed: ComposedMail): void;
  reject(error: Error): void;
}

/** One thread's life: the messages it was handed, and those for its next postMessage. */
interface Running {
  worker: Worker;
  waiting: Map<number, Waiting>;
  outbox: Array<{ n: number; mail: SendMailOptions }>;
  exited: Promise<void>;
}

/** After a thread died, messages are composed on the main thread for this long before another is started. */
const RETRY_AFTER_MS = 10_000;

/**
 * The main thread's side of compose-worker.ts. A thread is started by the first message and
 * ends after `idleExitMs` without one (a worker thread is a whole JavaScript engine, some 10 MB,
 * that an idle queue has no use for). Messages handed over in one turn of the event loop go in
 * one postMessage. If the thread dies, the messages it held, and those that come for a while
 * after, are composed here instead: composing has no side effects, so nothing is lost or sent
 * twice.
 */
export class ComposeThread implements Composer {
  private running: Running | undefined;
  private stopping: Running[] = [];
  private nextRequest = 0;
  private lastUsed = 0;
  private lostAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  private fallback: Composer | undefined;

  constructor(private readonly idleExitMs = 30_000) {}

  /** Whether a thread is up (tests). */
  get threadRunning(): boolean {
    return this.running !== undefined;
  }

  /** Ends the thread as a crash would (tests). */
  async kill(): Promise<void> {
    await this.running?.worker.terminate();
  }

  compose(mail: SendMailOptions): Promise<ComposedMail> {
    if (this.closed || performance.now() - this.lostAt < RETRY_AFTER_MS) return this.here().compose(mail);
    const running = this.running ?? this.spawn();
    this.lastUsed = performance.now();
    const n = this.nextRequest++;
    return new Promise((resolve, reject) => {
      // Held open only while a message is being composed: an idle thread must not keep the process alive.
      if (running.waiting.size === 0) running.worker.ref();
      running.waiting.set(n, { mail, resolve, reject });
      running.outbox.push({ n, mail });
      if (running.outbox.length === 1) setImmediate(() => this.post(running));
    });
  }

  /** Ends the thread once the messages it holds are composed. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.running) this.stop(this.running);
    await Promise.all(this.stopping.map((r) => r.exited));
    await this.fallback?.close();
  }

  private here(): Composer {
    this.fallback ??= inlineComposer();
    return this.fallback;
  }

  private post(running: Running): void {
    const batch = running.outbox;
    running.outbox = [];
    if (batch.length > 0) running.worker.postMessage(batch satisfies ToComposer);
  }

  private stop(running: Running): void {
    this.post(running);
    running.worker.ref(); // the wait for its exit must hold the process
    running.worker.postMessage("stop" satisfies ToComposer);
    this.running = undefined;
    this.stopping.push(running);
  }

  private spawn(): Running {
    const worker = new Worker(compiledWorkerUrl(import.meta.url, "./compose-worker.js"), {
      name: "steward-email-compose",
    });
    const running: Running = { worker, waiting: new Map(), outbox: [], exited: Promise.resolve() };
    this.running = running;
    worker.on("message", (m: FromComposer) => {
      for (const a of m.batch) {
        const w = running.waiting.get(a.n);
        if (!w) continue;
        running.waiting.delete(a.n);
        if (a.ok) w.resolve(a.composed);
        else w.reject(fromWire(a.error));
      }
      if (running.waiting.size === 0) worker.unref();
    });
    worker.on("error", () => {}); // answered at the exit that follows
    running.exited = new Promise((resolve) =>
      worker.once("exit", () => {
        this.stopping = this.stopping.filter((r) => r !== running);
        if (this.running === running) {
          // It ended on its own, which it should never do.
          this.running = undefined;
          this.lostAt = performance.now();
        }
        const held = [...running.waiting.values()];
        running.waiting.clear();
        for (const w of held) this.here().compose(w.mail).then(w.resolve, w.reject);
        resolve();
      }),
    );
    this.armIdleExit(running, this.idleExitMs);
    return running;
  }

  /** One timer a period, not one per message. */
  private armIdleExit(running: Running, delayMs: number): void {
    setTimeout(() => {
      if (this.running !== running) return;
      const unused = performance.now() - this.lastUsed;
      if (running.waiting.size === 0 && unused >= this.idleExitMs) this.stop(running);
      else this.armIdleExit(running, Math.max(this.idleExitMs - unused, 1_000));
    }, delayMs).unref();
  }
}

/**
 * A thread where there is a core for it; on a single core it would only add the trips between
 * threads, so messages are composed on the main thread.
 */
export function composerFor(cores = os.availableParallelism()): Composer {
  return cores > 1 ? new ComposeThread() : inlineComposer();
}
