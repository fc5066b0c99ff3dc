import { Worker } from "node:worker_threads";
import type { Logger } from "../../../../core/logger.js";
import { compiledWorkerUrl } from "../../../../core/project.js";
import type { EmailJob } from "../../store/job.js";
import type { SmtpSettings } from "../transports/smtp.js";
import type { EmailTransport, SendResult } from "../transports/transport.js";
import { type Answer, type FromThread, fromWire, type ThreadSettings, type ToThread } from "./protocol.js";

/**
 * The sender thread died with this job in hand: the job goes straight back to pending with its
 * attempt refunded. Whether the server took it is unknown, so it may be sent twice, with the
 * same Message-ID, as after a process crash.
 */
export class SenderThreadLost extends Error {
  override readonly name = "SenderThreadLost";
}

/**
 * SMTP_POOL_SIZE is the connections of the whole process (the limit a provider sets is per
 * client, not per thread), shared out as evenly as it goes: 5 over 2 threads is 3 and 2.
 */
export function sharePool(poolSize: number, threads: number): number[] {
  return Array.from({ length: threads }, (_, i) => Math.floor(poolSize / threads) + (i < poolSize % threads ? 1 : 0));
}

interface Waiting {
  resolve(result: SendResult): void;
  reject(error: Error): void;
}

interface Slot {
  index: number;
  worker: Worker;
  alive: boolean;
  online: boolean;
  /** Sends posted to this thread, by request number. */
  pending: Map<number, Waiting>;
  /** Sends for the next postMessage. */
  outbox: Array<{ n: number; job: EmailJob }>;
  deaths: number;
}

export interface ThreadTransportOptions {
  threads: number;
  smtp: SmtpSettings;
  from: string;
  templatesDir: string;
  maxBytes: number;
  logger: Logger;
}

/** The longest wait before restarting a thread that keeps dying. */
const MAX_RESTART_MS = 10_000;

/**
 * EMAIL_SEND_THREADS > 1: messages are built and sent by worker threads, each with its own
 * nodemailer pool, while the main thread keeps the claims, the outcomes and the leases. A job
 * goes to the thread with the fewest sends in hand; a thread that dies fails its sends with
 * SenderThreadLost (the pool gives those jobs back at once) and is started again.
 */
export class ThreadTransport implements EmailTransport {
  readonly kind = "smtp";
  private readonly slots: Slot[] = [];
  private readonly shares: number[];
  private nextRequest = 0;
  private closing = false;
  private watched: AbortSignal | undefined;
  private inFlight = 0;

  constructor(private readonly options: ThreadTransportOptions) {
    this.shares = sharePool(options.smtp.poolSize, options.threads);
    for (let i = 0; i < options.threads; i += 1) {
      const slot: Slot = {
        index: i,
        worker: undefined as unknown as Worker,
        alive: false,
        online: false,
        pending: new Map(),
        outbox: [],
        deaths: 0,
      };
      this.slots.push(slot);
      this.spawn(slot);
    }
  }

  /** Resolves once every thread is running (benchmarks start their clock after it). */
  ready(): Promise<void> {
    return Promise.all(
      this.slots.map((slot) =>
        slot.online ? undefined : new Promise((resolve) => slot.worker.once("online", resolve)),
      ),
    ).then(() => undefined);
  }

  /** Threads started again after dying, over all slots. */
  get restarts(): number {
    return this.slots.reduce((sum, s) => sum + s.deaths, 0);
  }

  /** Sends in hand per thread (tests, status). */
  load(): number[] {
    return this.slots.map((s) => s.pending.size + s.outbox.length);
  }

  /** Ends a thread as a crash would (tests). */
  async kill(index: number): Promise<void> {
    await this.slots[index]?.worker.terminate();
  }

  send(): Promise<SendResult> {
    return Promise.reject(new Error("the threaded transport sends jobs (sendJob), not built messages"));
  }

  sendJob(job: EmailJob, signal: AbortSignal): Promise<SendResult> {
    this.watch(signal);
    if (signal.aborted) return Promise.reject(signal.reason);
    const slot = this.pick();
    const n = this.nextRequest++;
    return new Promise<SendResult>((resolve, reject) => {
      slot.pending.set(n, { resolve, reject });
      if (this.inFlight++ === 0) for (const s of this.slots) s.worker.ref();
      slot.outbox.push({ n, job });
      if (slot.outbox.length === 1) queueMicrotask(() => this.post(slot));
    });
  }

  /** Asks one live thread to open, greet and log in on a connection of its own. */
  async verify(): Promise<void> {
    const slot = this.pick();
    // Every thread is down and waiting to restart: the probe fails now and is tried again later.
    if (!slot.alive) throw new SenderThreadLost("every sender thread is restarting");
    const n = this.nextRequest++;
    await new Promise<SendResult>((resolve, reject) => {
      slot.pending.set(n, { resolve, reject });
      if (this.inFlight++ === 0) for (const s of this.slots) s.worker.ref();
      slot.worker.postMessage({ t: "verify", n } satisfies ToThread);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        if (!slot.alive) return;
        const exited = new Promise<void>((resolve) => slot.worker.once("exit", () => resolve()));
        slot.worker.ref();
        slot.worker.postMessage({ t: "close" } satisfies ToThread);
        const timer = setTimeout(() => void slot.worker.terminate(), this.options.smtp.timeoutMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /** The live thread with the fewest sends in hand; with none alive, the first (its sends wait for the restart). */
  private pick(): Slot {
    let best: Slot | undefined;
    for (const slot of this.slots) {
      if (!slot.alive) continue;
      if (!best || slot.pending.size < best.pending.size) best = slot;
    }
    return best ?? (this.slots[0] as Slot);
  }

  private post(slot: Slot): void {
    if (!slot.alive || slot.outbox.length === 0) return;
    const batch = slot.outbox;
    slot.outbox = [];
    slot.worker.postMessage({ t: "send", batch } satisfies ToThread);
  }

  private settle(slot: Slot, answers: Answer[]): void {
    for (const a of answers) {
      const waiting = slot.pending.get(a.n);
      if (!waiting) continue;
      slot.pending.delete(a.n);
      this.finished();
      if (a.ok) waiting.resolve(a.result);
      else waiting.reject(fromWire(a.error));
    }
  }

  private finished(): void {
    if (--this.inFlight === 0) for (const s of this.slots) s.worker.unref();
  }

  /** The shutdown grace ran out: every thread drops what it sends, and the pool stops waiting. */
  private watch(signal: AbortSignal): void {
    if (this.watched === signal) return;
    this.watched = signal;
    signal.addEventListener(
      "abort",
      () => {
        for (const slot of this.slots) {
          if (slot.alive) slot.worker.postMessage({ t: "abort" } satisfies ToThread);
          this.failAll(slot, signal.reason instanceof Error ? signal.reason : new Error("send abandoned"));
        }
      },
      { once: true },
    );
  }

  private failAll(slot: Slot, error: Error): void {
    const waiting = [...slot.pending.values()];
    slot.pending.clear();
    for (const w of waiting) {
      this.finished();
      w.reject(error);
    }
  }

  private spawn(slot: Slot): void {
    const { smtp, from, templatesDir, maxBytes } = this.options;
    const workerData: ThreadSettings = {
      smtp: { ...smtp, poolSize: this.shares[slot.index] as number },
      from,
      templatesDir,
      maxBytes,
    };
    const worker = new Worker(compiledWorkerUrl(import.meta.url, "./sender-thread.js"), {
      workerData,
      name: `steward-smtp-${slot.index}`,
    });
    if (this.inFlight === 0) worker.unref();
    slot.worker = worker;
    slot.alive = true;
    slot.online = false;
    worker.once("online", () => {
      slot.online = true;
    });
    worker.on("message", (m: FromThread) => this.settle(slot, m.batch));
    // The error is logged on exit with the sends it took down; the listener keeps it from being thrown here.
    let lastError: Error | undefined;
    worker.on("error", (error) => {
      lastError = error;
    });
    worker.on("exit", (code) => {
      if (slot.worker !== worker) return;
      slot.alive = false;
      const lost = slot.pending.size;
      this.failAll(
        slot,
        new SenderThreadLost(`sender thread ${slot.index} exited (code ${code}) with the send in hand`),
      );
      if (this.closing) return;
      slot.deaths += 1;
      const delay = Math.min(MAX_RESTART_MS, 50 * 2 ** Math.min(slot.deaths - 1, 8));
      this.options.logger.warn(
        { thread: slot.index, code, err: lastError, lost, restartInMs: delay },
        "email sender thread died: its sends go back to pending; starting it again",
      );
      // Sends not yet posted to it were failed with the rest (their jobs go back too).
      slot.outbox = [];
      const timer = setTimeout(() => {
        if (this.closing) return;
        this.spawn(slot);
        this.post(slot);
      }, delay);
      timer.unref();
    });
  }
}
