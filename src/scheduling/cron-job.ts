import { Cron } from "croner";
import type { Clock } from "../core/clock.js";
import { toError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Lease } from "../db/coordination/leases.js";
import type { TickClaimStore } from "../db/coordination/tick-claims.js";

/**
 * A cron pattern read in a time zone, used only for its arithmetic: croner computes the run
 * times and never starts a timer of its own (its timers run on the real clock, which tests
 * could not drive). The job sleeps on the injected clock instead.
 */
export class CronSchedule {
  private readonly cron: Cron;

  constructor(
    readonly pattern: string,
    readonly timezone: string,
  ) {
    // UTC (the default) as a fixed offset: croner then does plain date arithmetic, and the
    // process never starts ICU's time-zone machinery, some 8 MB of memory held for good.
    this.cron = new Cron(pattern, timezone === "UTC" ? { paused: true, utcOffset: 0 } : { paused: true, timezone });
  }

  /** The first run strictly after `after`, or null when the pattern has no further run. */
  next(after: Date): Date | null {
    return this.cron.nextRun(after);
  }

  nextRuns(n: number, after: Date): Date[] {
    return this.cron.nextRuns(n, after);
  }

  /** The latest run at or before `now`: the tick that is due. */
  latestAtOrBefore(now: Date): Date | null {
    // croner looks strictly before a reference it truncates to the second, so one second
    // later (truncated) still finds a tick at `now` itself and never one after it.
    const [latest] = this.cron.previousRuns(1, new Date(now.getTime() + 1000));
    return latest && latest.getTime() <= now.getTime() ? latest : null;
  }
}

export interface Tick {
  scheduledAt: Date;
  /** True for a tick missed while the process was down, run at start-up within the grace. */
  catchUp: boolean;
}

/**
 * What became of one tick: run here; skipped because our previous run is still going;
 * claimed by another process; skipped because a run of the job is going in another process;
 * missed (found later than the misfire grace).
 */
export type TickOutcome = "ran" | "overlap" | "claimed-elsewhere" | "busy-elsewhere" | "missed";

export interface CronJobOptions {
  /** The tick-claim key, the same in every process (e.g. "backup:database"). */
  name: string;
  schedule: CronSchedule;
  misfireGraceMs: number;
  /** Held while a run goes, so that no process starts the next tick alongside it. */
  lock: Lease;
  run(tick: Tick, signal: AbortSignal): Promise<void>;
  /** Told the outcome of every tick (metrics of skipped ticks, say). */
  onTick?(tick: Tick, outcome: TickOutcome): void;
  /**
   * Longest single sleep. Waking at least this often bounds how late a tick fires after the
   * wall clock jumps (suspend, NTP step) and keeps below setTimeout's 24.8-day limit.
   */
  maxSleepMs?: number;
}

export interface CronJobDeps {
  clock: Clock;
  logger: Logger;
  ticks: TickClaimStore;
  /** Who claims ticks: this process's instance id. */
  claimedBy: string;
  /** The loop itself failed (say, the database is unreachable at a tick). */
  onError(error: Error): void;
}

export interface CronJobStatus {
  nextRunAt: Date | null;
  running: { scheduledAt: Date; startedAt: Date } | null;
  lastTick: { scheduledAt: Date; outcome: TickOutcome; at: Date } | null;
  skippedTicks: number;
}

/** A timer is reported when it fires this far from its target; closer is timer noise. */
const TIMER_SLACK_MS = 1_000;

/**
 * Runs a function at each tick of a cron schedule, once across every process (tick claims),
 * never alongside its own previous run (a run still going makes the next tick a logged skip),
 * and after a restart runs the one tick missed while down if it is within the misfire grace.
 * Runs go on in the background so the loop keeps its appointments while one is long.
 */
export class CronJob {
  nextRunAt: Date | null = null;
  lastTick: CronJobStatus["lastTick"] = null;
  skippedTicks = 0;
  private current: { tick: Tick; startedAt: Date; done: Promise<void>; abort: AbortController } | undefined;
  private stopController = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly deps: CronJobDeps,
    private readonly options: CronJobOptions,
  ) {}

  get name(): string {
    return this.options.name;
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  status(): CronJobStatus {
    const running = this.current
      ? { scheduledAt: this.current.tick.scheduledAt, startedAt: this.current.startedAt }
      : null;
    return { nextRunAt: this.nextRunAt, running, lastTick: this.lastTick, skippedTicks: this.skippedTicks };
  }

  /** Catches up a tick missed while down, then keeps the schedule in the background. */
  async start(): Promise<void> {
    this.stopController = new AbortController();
    await this.catchUp(this.deps.clock.now());
    this.loop = this.runLoop(this.stopController.signal);
  }

  /** Stops scheduling; a run in flight gets `graceMs` to finish, then is aborted and awaited. */
  async stop(graceMs: number): Promise<void> {
    this.stopController.abort();
    await this.loop;
    this.loop = undefined;
    this.nextRunAt = null;
    const current = this.current;
    if (!current) return;
    const timer = new AbortController();
    const finished = await Promise.race([
      current.done.then(() => true),
      this.deps.clock.sleep(graceMs, timer.signal).then(() => false),
    ]);
    timer.abort();
    if (!finished) {
      this.deps.logger.warn({ job: this.name, graceMs }, "run did not finish within the shutdown grace; aborting it");
      current.abort.abort(new Error("the process is shutting down"));
      await current.done;
    }
  }

  /**
   * Decides one tick: skip it if our previous run is still going, else claim it (exactly one
   * process wins), take the job's lock (a run elsewhere makes it a skip), and start the run.
   */
  async handleTick(tick: Tick): Promise<TickOutcome> {
    const { clock, logger } = this.deps;
    const at = tick.scheduledAt.toISOString();
    if (this.current) {
      const since = this.current.startedAt.toISOString();
      logger.warn({ job: this.name, tick: at, runningSince: since }, "previous run still going; tick skipped");
      return this.settle(tick, "overlap");
    }
    const claimed = await this.deps.ticks.claim(this.name, tick.scheduledAt, this.deps.claimedBy, clock.now());
    if (!claimed) {
      logger.debug({ job: this.name, tick: at }, "tick claimed by another process");
      return this.settle(tick, "claimed-elsewhere");
    }
    const locked = await this.options.lock.acquire().catch(() => false);
    if (!locked) {
      logger.warn({ job: this.name, tick: at }, "a run of this job is still going in another process; tick skipped");
      return this.settle(tick, "busy-elsewhere");
    }
    logger.info({ job: this.name, tick: at, catchUp: tick.catchUp }, "tick claimed; running");
    const abort = new AbortController();
    const startedAt = clock.now();
    this.current = { tick, startedAt, abort, done: this.execute(tick, abort.signal) };
    return this.settle(tick, "ran");
  }

  private settle(tick: Tick, outcome: TickOutcome): TickOutcome {
    if (outcome === "overlap" || outcome === "busy-elsewhere" || outcome === "missed") this.skippedTicks += 1;
    this.lastTick = { scheduledAt: tick.scheduledAt, outcome, at: this.deps.clock.now() };
    this.options.onTick?.(tick, outcome);
    return outcome;
  }

  private async execute(tick: Tick, abort: AbortSignal): Promise<void> {
    const lock = this.options.lock;
    try {
      await lock.hold((lost) => this.options.run(tick, AbortSignal.any([abort, lost])));
    } catch (error) {
      // The run records and alerts its own failures; this only keeps the loop alive.
      this.deps.logger.error({ job: this.name, err: toError(error) }, "run failed");
    } finally {
      await lock.release().catch(() => {});
      this.current = undefined;
    }
  }

  private async catchUp(now: Date): Promise<void> {
    const latest = this.options.schedule.latestAtOrBefore(now);
    if (!latest) return;
    const ageMs = now.getTime() - latest.getTime();
    const tick = latest.toISOString();
    if (ageMs <= this.options.misfireGraceMs) {
      // The claim says whether any process ran it already; only a truly missed tick runs.
      const outcome = await this.handleTick({ scheduledAt: latest, catchUp: true });
      if (outcome === "ran") this.deps.logger.info({ job: this.name, tick, ageMs }, "ran a tick missed while down");
      return;
    }
    const lastClaimed = await this.deps.ticks.lastClaimed(this.name);
    if (lastClaimed && lastClaimed.getTime() < latest.getTime()) {
      this.deps.logger.warn(
        { job: this.name, tick, ageMs, graceMs: this.options.misfireGraceMs },
        "tick missed while down, beyond the misfire grace; not run",
      );
      this.settle({ scheduledAt: latest, catchUp: true }, "missed");
    }
  }

  private async runLoop(stop: AbortSignal): Promise<void> {
    const { clock, logger } = this.deps;
    let cursor = clock.now();
    try {
      while (!stop.aborted) {
        const next = this.options.schedule.next(cursor);
        this.nextRunAt = next;
        if (!next) {
          logger.info({ job: this.name }, "the schedule has no further runs");
          await new Promise<void>((resolve) => stop.addEventListener("abort", () => resolve(), { once: true }));
          return;
        }
        await this.sleepUntil(next, stop);
        if (stop.aborted) return;
        cursor = await this.fire(next, clock.now());
      }
    } catch (error) {
      if (stop.aborted) return;
      logger.error({ job: this.name, err: toError(error) }, "cron loop failed");
      this.deps.onError(toError(error));
    }
  }

  /** Re-checks the time a timer fired at; returns the tick the schedule continues from. */
  private async fire(next: Date, now: Date): Promise<Date> {
    const logger = this.deps.logger;
    const due = this.options.schedule.latestAtOrBefore(now) ?? next;
    if (due.getTime() > next.getTime()) {
      logger.warn({ job: this.name, from: next.toISOString(), to: due.toISOString() }, "slept through ticks");
    }
    const lateMs = now.getTime() - due.getTime();
    if (lateMs > this.options.misfireGraceMs) {
      logger.warn({ job: this.name, tick: due.toISOString(), lateMs }, "timer fired beyond the misfire grace; not run");
      this.settle({ scheduledAt: due, catchUp: false }, "missed");
      return now;
    }
    if (lateMs >= TIMER_SLACK_MS) logger.warn({ job: this.name, tick: due.toISOString(), lateMs }, "timer fired late");
    await this.handleTick({ scheduledAt: due, catchUp: false });
    return due;
  }

  private async sleepUntil(target: Date, stop: AbortSignal): Promise<void> {
    const { clock, logger } = this.deps;
    const maxSleep = this.options.maxSleepMs ?? 60_000;
    for (;;) {
      const remaining = target.getTime() - clock.now().getTime();
      if (remaining <= 0 || stop.aborted) return;
      const chunk = Math.min(remaining, maxSleep);
      await clock.sleep(chunk, stop);
      if (stop.aborted) return;
      const earlyMs = target.getTime() - clock.now().getTime();
      if (chunk === remaining && earlyMs > 0) {
        const level = earlyMs >= TIMER_SLACK_MS ? "warn" : "debug";
        logger[level]({ job: this.name, tick: target.toISOString(), earlyMs }, "timer fired early; waiting again");
      }
    }
  }
}
