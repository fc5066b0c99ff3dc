import { randomBytes } from "node:crypto";
import type { Clock } from "../core/clock.js";
import { toError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { RunTracker } from "../core/run-tracker.js";
import type { Service, ServiceStatus } from "../core/service.js";
import { StartStop } from "../core/start-stop.js";
import { Lease } from "../db/coordination/leases.js";
import type { Sql } from "../db/sql.js";
import { createRunTracker } from "../services/context.js";
import type { ServiceContext } from "../services/contract.js";

export interface IntervalServiceOptions<Summary extends Record<string, unknown>> {
  name: string;
  intervalMs: number;
  /** When true, one process in the cluster runs passes (a lease); the others stand by. */
  leader: boolean;
  /**
   * One pass. Kept apart from the loop so tests call it directly with a fake clock. The
   * signal aborts when the service stops or loses its lease: finish the current batch and
   * return.
   */
  runOnce(signal: AbortSignal): Promise<Summary>;
  /** Service-specific status details, from fields the service keeps (synchronous). */
  details(): Record<string, unknown>;
  /** Runs once the loop is started (e.g. to load the counts status() reports). */
  afterStart?(): Promise<void>;
}

/** What a scheduler's pass needs of its host: the database, the clock and the logger. */
export function passHost(ctx: ServiceContext): { sql: Sql; clock: Clock; logger: Logger } {
  return { sql: ctx.db.sql, clock: ctx.clock, logger: ctx.logger };
}

/** The work of a scheduler: its pass, the details its status adds, and the counts loaded at start. */
export interface Scheduler<Summary extends Record<string, unknown>> {
  runOnce(signal: AbortSignal): Promise<Summary>;
  details(): Record<string, unknown>;
  refreshCounts(): Promise<void>;
}

/** A scheduler run every `intervalMs` by one process of the cluster (a lease): lifecycle, video. */
export function leaderService<Summary extends Record<string, unknown>>(
  ctx: ServiceContext,
  name: string,
  intervalMs: number,
  scheduler: Scheduler<Summary>,
): IntervalService<Summary> {
  return new IntervalService<Summary>(ctx, {
    name,
    intervalMs,
    leader: true,
    runOnce: (signal) => scheduler.runOnce(signal),
    details: () => scheduler.details(),
    afterStart: () => scheduler.refreshCounts(),
  });
}

/**
 * A service that runs a pass every interval: the lifecycle and video schedulers. The next
 * pass is due one interval after the last one recorded in the shared service state, so a
 * restart, or a standby taking over the lease, keeps the cadence instead of running at once.
 */
export class IntervalService<Summary extends Record<string, unknown>> implements Service {
  readonly name: string;
  readonly tracker: RunTracker;
  private readonly guard = new StartStop();
  private readonly lease: Lease | undefined;
  private stopController = new AbortController();
  private loop: Promise<void> | undefined;
  lastSummary: Summary | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: IntervalServiceOptions<Summary>,
  ) {
    this.name = options.name;
    this.tracker = createRunTracker(ctx, options.name);
    if (options.leader) {
      // Unique per service start, as the email queue's holder is: two processes given the same
      // INSTANCE_ID by mistake must not both hold the lease (acquire treats its own holder as a renewal).
      const holder = `${ctx.instanceId}/${randomBytes(4).toString("hex")}`;
      this.lease = new Lease(ctx.stores.leases, options.name, holder, ctx.config.leaseTtlMs, ctx.clock);
      this.tracker.leader = false;
    }
  }

  start(): Promise<void> {
    return this.guard.start(
      async () => {
        await this.tracker.setState("starting");
        await this.tracker.load();
        this.stopController = new AbortController();
        await this.tracker.setState("running");
        this.loop = this.runLoop(this.stopController.signal);
        await this.options.afterStart?.();
      },
      () => this.halt(),
    );
  }

  stop(): Promise<void> {
    return this.guard.stop(() => this.halt());
  }

  status(): ServiceStatus {
    const details = { ...this.options.details(), lastPass: this.lastSummary ?? null };
    return this.tracker.status(details);
  }

  /** One pass outside the loop (`steward run ...`), recorded like any other. */
  async runNow(signal: AbortSignal = new AbortController().signal): Promise<Summary> {
    const startedAt = this.ctx.clock.now();
    try {
      const summary = await this.options.runOnce(signal);
      this.lastSummary = summary;
      await this.tracker.record(startedAt, null, summary);
      return summary;
    } catch (error) {
      await this.tracker.record(startedAt, error);
      throw error;
    }
  }

  private async halt(): Promise<void> {
    await this.tracker.setState("stopping");
    this.stopController.abort();
    await this.loop;
    this.loop = undefined;
    if (this.lease?.held) await this.lease.release().catch(() => {});
    this.tracker.leader = this.lease ? false : null;
    this.tracker.nextRunAt = null;
    await this.tracker.setState("stopped");
  }

  private async runLoop(stop: AbortSignal): Promise<void> {
    const { clock, logger } = this.ctx;
    const renewEvery = Math.max(1_000, Math.floor(this.ctx.config.leaseTtlMs / 3));
    while (!stop.aborted) {
      try {
        if (this.lease && !(await this.holdLease())) {
          this.tracker.nextRunAt = null;
          await clock.sleep(renewEvery, stop);
          continue;
        }
        // The shared record sets the cadence: a pass run elsewhere (`steward run`), or a
        // request to run at once (`steward demo` clears it), is seen within a renew interval.
        await this.tracker.refreshLastRun();
        const now = clock.now().getTime();
        const last = this.tracker.lastRunAt?.getTime();
        // After a failed pass the supervisor's backoff was the wait; retry now, not an interval later.
        const retry = this.tracker.consecutiveFailures > 0;
        const due = last === undefined || retry ? now : last + this.options.intervalMs;
        this.tracker.nextRunAt = new Date(due);
        if (due > now) {
          // A leader wakes at least every renew interval to keep its lease.
          const wait = this.lease ? Math.min(due - now, renewEvery) : due - now;
          await clock.sleep(wait, stop);
          continue;
        }
        await this.pass(stop);
      } catch (error) {
        if (stop.aborted) return;
        logger.error({ err: toError(error) }, "pass failed");
        this.ctx.reportCrash(toError(error));
        return;
      }
    }
  }

  private async holdLease(): Promise<boolean> {
    const lease = this.lease as Lease;
    const was = this.tracker.leader === true;
    let held: boolean;
    try {
      held = await lease.acquire();
    } catch (error) {
      this.ctx.logger.warn({ err: toError(error) }, "could not reach the lease; standing by");
      held = false;
    }
    if (held && !was) {
      this.ctx.logger.info({ lease: lease.name }, "became leader");
      // The previous leader's last pass sets our cadence.
      await this.tracker.load();
    } else if (!held && was) {
      this.ctx.logger.warn({ lease: lease.name }, "lost leadership; standing by");
    }
    this.tracker.leader = held;
    return held;
  }

  private async pass(stop: AbortSignal): Promise<void> {
    const startedAt = this.ctx.clock.now();
    const run = async (signal: AbortSignal) => this.options.runOnce(signal);
    try {
      const summary = this.lease
        ? await this.lease.hold((lost) => run(AbortSignal.any([stop, lost])))
        : await run(stop);
      this.lastSummary = summary;
      // Set before recording, so the persisted next run is the coming one, not the one just run.
      this.tracker.nextRunAt = new Date(this.ctx.clock.now().getTime() + this.options.intervalMs);
      await this.tracker.record(startedAt, null, summary);
    } catch (error) {
      this.tracker.nextRunAt = null; // the supervisor's restart decides when
      await this.tracker.record(startedAt, error);
      throw error;
    }
  }
}
