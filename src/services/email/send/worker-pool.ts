import { setMaxListeners } from "node:events";
import { performance } from "node:perf_hooks";
import type { Clock } from "../../../core/clock.js";
import { toError } from "../../../core/errors.js";
import type { Logger } from "../../../core/logger.js";
import { Wakeup } from "../../../core/wake.js";
import type { EmailJob } from "../store/job.js";
import type { EmailStore, Outcome } from "../store.js";
import type { CircuitBreaker } from "./circuit-breaker.js";
import { ClaimAhead } from "./claim-ahead.js";
import type { Classified } from "./classify.js";
import { idleWaitMs } from "./idle-cadence.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { buildMessage, type MessageDefaults } from "./message.js";
import { OutcomeWriter } from "./outcome-writer.js";
import { failureOutcome, type RetryPolicy, sentOutcome } from "./outcomes.js";
import type { RateLimiter } from "./rate-limiter.js";
import { SenderThreadLost } from "./threads/thread-transport.js";
import type { EmailTransport } from "./transports/transport.js";

export interface WorkerSettings extends RetryPolicy, MessageDefaults {
  /** Sends in flight at once in this process (EMAIL_QUEUE_WORKERS). */
  workers: number;
  leaseMs: number;
  pollIntervalMs: number;
  messageIdDomain: string;
}

export interface AttemptEvent {
  job: EmailJob;
  outcome: Outcome;
  /** Null for a successful send. */
  classified: Classified | null;
  seconds: number;
}

export interface WorkerDeps {
  store: EmailStore;
  transport: EmailTransport;
  clock: Clock;
  logger: Logger;
  /** Names this process's leases; unique per start, so a restarted process never renews a dead one's jobs. */
  holder: string;
  settings: WorkerSettings;
  limiter: RateLimiter;
  /** Opened by consecutive transport failures: the pool then holds nothing and only probes. */
  breaker: CircuitBreaker;
  /** Cached view of the persisted pause switch. */
  paused(): Promise<boolean>;
  /** True while every new job is announced (PostgreSQL LISTEN connected): see idle-cadence.ts. */
  announced?(): boolean;
  onAttempt?(event: AttemptEvent): void;
  /** A claim failed (database unreachable): keep trying, or stop the loop (the service reports a crash). */
  onLoopError?(error: Error, streak: number): "continue" | "stop";
}

interface InFlight {
  job: EmailJob;
  started: boolean;
}

export interface PoolTotals {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
}

/**
 * The claim-and-send engine. One loop claims due jobs in batches (up to the free send slots
 * plus some ahead), and each job is handed to its own send as a slot frees; outcomes are
 * written back in batches (OutcomeWriter), and the leases of every job held are renewed
 * every third of EMAIL_LEASE_SECONDS. `start` serves until `stop`; `drain` sends what is due
 * and returns.
 */
export class WorkerPool {
  readonly totals: PoolTotals = { claimed: 0, sent: 0, retried: 0, failed: 0 };
  private readonly ready: EmailJob[] = [];
  private readonly sending = new Map<string, InFlight>();
  private readonly claimedNotStarted = new Set<string>();
  private readonly abandoned = new Set<string>();
  private readonly wakeup = new Wakeup();
  private readonly claimAhead: ClaimAhead;
  private readonly outcomes: OutcomeWriter;
  private idleWaiters: Array<() => void> = [];
  private wantRoom = false;
  private pollWake: Promise<void> | undefined;
  private readonly stopLoop = new AbortController();
  /** Aborts every send still running when the shutdown grace runs out (one signal for all: cheaper than one per job). */
  private readonly abandon = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly leases: LeaseKeeper;

  constructor(private readonly deps: WorkerDeps) {
    this.claimAhead = new ClaimAhead(deps.settings.workers, deps.store.maxClaimAhead);
    this.outcomes = new OutcomeWriter({ ...deps, onSettled: (batch) => this.afterSettle(batch) });
    this.leases = new LeaseKeeper({
      ...deps,
      leaseMs: deps.settings.leaseMs,
      holdsAny: () => this.held > 0 || this.outcomes.pending > 0 || this.claimedNotStarted.size > 0,
    });
    // Every send in flight listens on the one abandon signal (the transport and the rate limiter do).
    setMaxListeners(4 * deps.settings.workers + 10, this.abandon.signal);
  }

  get inFlight(): number {
    return this.sending.size;
  }

  /** Jobs this pool holds under its lease: waiting for a slot or being sent. */
  private get held(): number {
    return this.ready.length + this.sending.size;
  }

  /**
   * What claims are sized by: the jobs held, and the sent ones whose outcomes the writer is behind
   * on, so a slow write holds claims back rather than pile jobs up in `sending` (a 21 s PostgreSQL
   * settle once let 20,000 do so). Counting every unrecorded outcome cost a SQLite drain a fifth.
   */
  private get leased(): number {
    return this.held + this.behind;
  }

  /** Outcomes the writer is behind on, a batch being the most a claim takes. */
  private get behind(): number {
    return this.outcomes.behind(this.claimAhead.hold);
  }

  /** Wakes a claim loop waiting for room once half the claim-ahead is free, not for every send. */
  private wakeIfRoom(): void {
    if (this.wantRoom && this.claimAhead.roomFor(this.leased)) this.wakeup.notify();
  }

  /** New work may be due: claim now instead of at the next poll. */
  wake(): void {
    this.wakeup.notify();
  }

  start(): void {
    this.leases.startRenewing();
    this.loop = this.claimLoop();
  }

  /** Sends every job due now (up to `max`), waits for their outcomes, and returns. */
  async drain(max = Number.POSITIVE_INFINITY): Promise<PoolTotals> {
    this.leases.startRenewing();
    const never = new AbortController().signal;
    try {
      await this.leases.reap(true);
      for (;;) {
        // The server is down: what was held has gone back to pending; the drain ends there.
        if (this.deps.breaker.isOpen) {
          await this.idle();
          break;
        }
        const room = this.claimAhead.room(this.leased, this.totals.claimed, max);
        if (room <= 0 && this.held === 0 && this.behind > 0) {
          // Nothing is sending: the room is in outcomes still to record.
          await this.outcomes.flush();
          continue;
        }
        const jobs = room > 0 ? await this.claim(room) : [];
        if (jobs.length === room && room > 0) continue;
        if (this.held === 0) {
          if (jobs.length === 0) break;
          continue;
        }
        // The queue looked empty (or --max was reached): let what we hold finish, then look once more.
        if (jobs.length < room || (room <= 0 && this.totals.claimed >= max)) await this.idle();
        else await this.waitForRoom(never);
      }
      this.outcomes.close();
      await this.outcomes.flush();
      if (this.outcomes.pending > 0) throw new Error("could not record the outcomes of the drained jobs");
      return { ...this.totals };
    } finally {
      await this.leases.stopRenewing();
    }
  }

  /**
   * Stops claiming, lets sends in flight finish within `graceMs`, then abandons the rest and
   * gives every job still held back to `pending`, so none waits for its lease to expire.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopLoop.abort();
    await this.loop;
    for (const job of this.ready.splice(0)) this.claimedNotStarted.add(job.id);
    if (this.sending.size > 0) {
      const finished = new AbortController();
      void this.idle().then(() => finished.abort());
      await this.deps.clock.sleep(graceMs, finished.signal);
    }
    for (const entry of this.sending.values()) {
      this.abandoned.add(entry.job.id);
      if (!entry.started) this.claimedNotStarted.add(entry.job.id);
    }
    this.abandon.abort();
    const unfinished = this.sending.size;
    this.outcomes.close();
    await this.outcomes.flush();
    try {
      const released = await this.deps.store.release(this.deps.holder, this.deps.clock.now(), [
        ...this.claimedNotStarted,
      ]);
      if (released > 0 || unfinished > 0) {
        this.deps.logger.info({ released, unfinished }, "gave unfinished email jobs back to pending");
      }
    } finally {
      await this.leases.stopRenewing();
    }
  }

  private async claimLoop(): Promise<void> {
    const stop = this.stopLoop.signal;
    const { clock, settings } = this.deps;
    let streak = 0;
    while (!stop.aborted) {
      try {
        // Reaped even while paused: a crashed sender's jobs go back to pending rather than sit
        // in `sending` until someone resumes the queue.
        await this.leases.reap(false);
        if (await this.deps.paused()) {
          // Only the reap and a resume matter now; a resume is announced where anything is.
          await this.wakeup.wait(clock, await this.idleWaitMs(false), stop);
          continue;
        }
        if (this.deps.breaker.isOpen) {
          await this.deps.breaker.probeWhenDue(stop);
          continue;
        }
        const room = this.claimAhead.room(this.leased, this.totals.claimed, Number.POSITIVE_INFINITY);
        if (room <= 0) {
          await this.waitForRoom(stop);
          continue;
        }
        const jobs = await this.claim(room);
        streak = 0;
        // Fewer than asked: the queue is empty for now; sleep until an enqueue, a NOTIFY, the
        // next run_at or the poll.
        if (jobs.length < room) await this.wakeup.wait(clock, await this.idleWaitMs(), stop);
      } catch (error) {
        if (stop.aborted) return;
        streak += 1;
        if (this.deps.onLoopError?.(toError(error), streak) === "stop") return;
        await clock.sleep(Math.min(30_000, settings.pollIntervalMs * 2 ** Math.min(streak, 6)), stop);
      }
    }
  }

  private async claim(limit: number): Promise<EmailJob[]> {
    const { settings, clock } = this.deps;
    const jobs = await this.deps.store.claim({
      holder: this.deps.holder,
      now: clock.now(),
      leaseMs: settings.leaseMs,
      limit,
      messageIdDomain: settings.messageIdDomain,
    });
    this.totals.claimed += jobs.length;
    // Claimed as the loop was told to stop: held, never started, given back by stop().
    if (this.stopLoop.signal.aborted) for (const job of jobs) this.claimedNotStarted.add(job.id);
    else {
      this.ready.push(...jobs);
      this.pump();
    }
    return jobs;
  }

  /** Starts waiting jobs while send slots are free. */
  private pump(): void {
    while (this.sending.size < this.deps.settings.workers && this.ready.length > 0) {
      this.dispatch(this.ready.shift() as EmailJob);
    }
  }

  private dispatch(job: EmailJob): void {
    const entry: InFlight = { job, started: false };
    this.sending.set(job.id, entry);
    void this.send(entry).finally(() => {
      this.sending.delete(job.id);
      if (!this.stopLoop.signal.aborted) this.pump();
      this.wakeIfRoom();
      if (this.sending.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }

  private async send(entry: InFlight): Promise<void> {
    const { job } = entry;
    const signal = this.abandon.signal;
    const { clock, settings, breaker } = this.deps;
    if (!(await this.deps.limiter.take(signal))) return;
    // Tripped while this job waited for its turn: give it back untouched.
    if (breaker.isOpen) return this.giveBack([job]);
    entry.started = true;
    const startedAt = performance.now();
    let outcome: Outcome;
    let classified: Classified | null = null;
    try {
      const { transport } = this.deps;
      const result = transport.sendJob
        ? await transport.sendJob(job, signal)
        : await transport.send(buildMessage(job, settings), signal);
      outcome = sentOutcome(job, result, clock.now(), settings);
    } catch (error) {
      // Its sender thread died: back to pending now, no attempt spent (it says nothing of the message or the server).
      if (error instanceof SenderThreadLost && !this.abandoned.has(job.id)) return this.giveBack([job]);
      ({ outcome, classified } = failureOutcome(job, error, clock.now(), settings));
    }
    if (this.abandoned.has(job.id)) return;
    this.claimAhead.recordSend(performance.now() - startedAt);
    this.totals[outcome.kind === "sent" ? "sent" : outcome.kind === "failed" ? "failed" : "retried"] += 1;
    this.deps.onAttempt?.({ job, outcome, classified, seconds: (performance.now() - startedAt) / 1000 });
    this.outcomes.add(outcome);
    this.report(classified);
  }

  /** Tells the breaker what the send said about the server. */
  private report(classified: Classified | null): void {
    const { breaker } = this.deps;
    if (classified?.transport) {
      if (breaker.failed(classified.message)) this.onTrip();
    } else if (classified === null || classified.code !== null) breaker.succeeded();
  }

  /** The breaker opened: the jobs waiting for a send slot go back to pending, in their order, no attempt spent. */
  private onTrip(): void {
    const held = this.ready.splice(0);
    this.giveBack(held);
    this.deps.logger.warn(
      { gaveBack: held.length, inFlight: this.sending.size, lastError: this.deps.breaker.health().lastError },
      "email transport is down: stopped claiming, probing the server until it answers",
    );
  }

  private giveBack(jobs: EmailJob[]): void {
    const at = this.deps.clock.now();
    for (const job of jobs) {
      this.outcomes.add({ kind: "requeue", id: job.id, at, error: null, code: null, transportFailure: false });
    }
  }

  /**
   * Jobs this pool made pending again. A retry's run_at may come before the time the idle loop
   * sleeps to: wake it to plan again. A job given back is due now, and is looked for at the poll
   * as it always was, not in the same breath as the failure: where the idle loop sleeps longer
   * than the poll, a wake is set for then. Given back because the breaker opened, it is
   * announced to the other processes, which may well reach the server.
   */
  private afterSettle(batch: readonly Outcome[]): void {
    if (batch.some((o) => o.kind === "retry")) this.wakeup.notify();
    // Recorded outcomes the writer was behind on free room too.
    else this.wakeIfRoom();
    const givenBack = batch.filter((o) => o.kind === "requeue").length;
    if (givenBack === 0) return;
    if (this.deps.announced?.() && !this.pollWake) {
      this.pollWake = this.deps.clock.sleep(this.deps.settings.pollIntervalMs, this.stopLoop.signal).then(() => {
        this.pollWake = undefined;
        this.wakeup.notify();
      });
    }
    if (this.deps.breaker.isOpen) {
      void this.deps.store
        .announceDue(givenBack)
        .catch((error: unknown) =>
          this.deps.logger.warn({ err: toError(error) }, "could not announce given-back jobs"),
        );
    }
  }

  /** `toNextRun`: sleep no later than the earliest pending run_at (not while paused). */
  private async idleWaitMs(toNextRun = true): Promise<number> {
    const { clock, settings, store } = this.deps;
    const announced = this.deps.announced?.() ?? false;
    // Looked up after the claim: a job inserted since is announced, which ends the wait at once.
    const nextRunAt = announced && toNextRun ? await store.nextRunAt() : undefined;
    const now = clock.now().getTime();
    return idleWaitMs({
      now,
      pollIntervalMs: settings.pollIntervalMs,
      announced,
      reapAt: this.leases.reapAt,
      nextRunAt,
    });
  }

  private async waitForRoom(stop: AbortSignal): Promise<void> {
    this.wantRoom = true;
    try {
      await this.wakeup.wait(this.deps.clock, this.deps.settings.pollIntervalMs, stop);
    } finally {
      this.wantRoom = false;
    }
  }

  private idle(): Promise<void> {
    if (this.sending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
