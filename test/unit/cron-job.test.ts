import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Clock } from "../../src/core/clock.js";
import { Lease, LeaseStore } from "../../src/db/coordination/leases.js";
import { TickClaimStore } from "../../src/db/coordination/tick-claims.js";
import { CronJob, CronSchedule, type Tick } from "../../src/scheduling/cron-job.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { capturedLogger, type LogRecord } from "../helpers/backup-support.js";
import { sqliteTestDb, type TestDb } from "../helpers/db.js";
import { waitFor } from "../helpers/wait.js";

interface Harness {
  job: CronJob;
  runs: Tick[];
  lines: LogRecord[];
  errors: Error[];
}

describe("CronSchedule", () => {
  it("finds the next tick strictly after a time and the due tick at or before it", () => {
    const daily = new CronSchedule("0 2 * * *", "UTC");
    expect(daily.next(new Date("2026-01-05T01:59:59.500Z"))).toEqual(new Date("2026-01-05T02:00:00Z"));
    expect(daily.next(new Date("2026-01-05T02:00:00Z"))).toEqual(new Date("2026-01-06T02:00:00Z"));
    expect(daily.latestAtOrBefore(new Date("2026-01-05T02:00:00Z"))).toEqual(new Date("2026-01-05T02:00:00Z"));
    expect(daily.latestAtOrBefore(new Date("2026-01-05T01:59:59.999Z"))).toEqual(new Date("2026-01-04T02:00:00Z"));
  });

  it("reads the pattern in its time zone, across a daylight-saving change", () => {
    const berlin = new CronSchedule("0 2 * * *", "Europe/Berlin");
    // 02:00 does not exist on 29 March in Berlin; that day's run comes at the first valid time.
    expect(berlin.nextRuns(3, new Date("2026-03-28T00:00:00Z"))).toEqual([
      new Date("2026-03-28T01:00:00Z"),
      new Date("2026-03-29T01:00:00Z"),
      new Date("2026-03-30T00:00:00Z"),
    ]);
  });
});

describe("CronJob on a fake clock", () => {
  let t: TestDb;
  let clock: FakeClock;
  const jobs: CronJob[] = [];

  beforeEach(async () => {
    t = await sqliteTestDb();
    clock = new FakeClock("2026-01-05T01:58:00Z");
  });
  afterEach(async () => {
    for (const job of jobs.splice(0)) await job.stop(0);
    await t.cleanup();
  });

  function harness(options: {
    schedule?: string;
    graceMs?: number;
    run?: (tick: Tick, signal: AbortSignal) => Promise<void>;
    clock?: Clock;
    maxSleepMs?: number;
    holder?: string;
  }): Harness {
    const { logger, lines } = capturedLogger();
    const runs: Tick[] = [];
    const errors: Error[] = [];
    const useClock = options.clock ?? clock;
    const holder = options.holder ?? "p1";
    const job = new CronJob(
      {
        clock: useClock,
        logger,
        ticks: new TickClaimStore(t.db.sql),
        claimedBy: holder,
        onError: (e) => errors.push(e),
      },
      {
        name: "backup:database",
        schedule: new CronSchedule(options.schedule ?? "0 2 * * *", "UTC"),
        misfireGraceMs: options.graceMs ?? 300_000,
        lock: new Lease(new LeaseStore(t.db.sql), "backup:database", holder, 30_000, useClock),
        maxSleepMs: options.maxSleepMs,
        run: async (tick, signal) => {
          runs.push(tick);
          await options.run?.(tick, signal);
        },
      },
    );
    jobs.push(job);
    return { job, runs, lines, errors };
  }

  const logged = (lines: LogRecord[], msg: string) => lines.filter((l) => l.msg === msg);

  it("runs at each tick of the schedule and reports the next one", async () => {
    const h = harness({});
    await h.job.start();
    expect(h.job.nextRunAt).toEqual(new Date("2026-01-05T02:00:00Z"));
    await clock.advance(119_000);
    expect(h.runs).toHaveLength(0);
    await clock.advance(1_000);
    await waitFor(() => h.runs.length === 1 && !h.job.running, { what: "the first run" });
    await clock.advance(86_400_000);
    await waitFor(() => h.runs.length === 2, { what: "the second run" });
    expect(h.runs.map((r) => r.scheduledAt.toISOString())).toEqual([
      "2026-01-05T02:00:00.000Z",
      "2026-01-06T02:00:00.000Z",
    ]);
    expect(h.runs.every((r) => !r.catchUp)).toBe(true);
    expect(h.job.nextRunAt).toEqual(new Date("2026-01-07T02:00:00Z"));
  });

  it("skips and logs a tick that comes while the previous run is still going", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const h = harness({
      schedule: "0 * * * *",
      run: (tick) => (tick.scheduledAt.getUTCHours() === 2 ? gate : Promise.resolve()),
    });
    await h.job.start();
    await clock.advance(120_000);
    await waitFor(() => h.job.running, { what: "the 02:00 run to start" });
    await clock.advance(3_600_000);
    await waitFor(() => h.job.lastTick?.outcome === "overlap", { what: "the 03:00 tick to be skipped" });
    expect(h.runs.map((r) => r.scheduledAt.toISOString())).toEqual(["2026-01-05T02:00:00.000Z"]);
    const skip = logged(h.lines, "previous run still going; tick skipped");
    expect(skip).toHaveLength(1);
    expect(skip[0]?.tick).toBe("2026-01-05T03:00:00.000Z");
    expect(h.job.status().skippedTicks).toBe(1);
    release();
    await waitFor(() => !h.job.running, { what: "the 02:00 run to end" });
    await clock.advance(3_600_000);
    await waitFor(() => h.runs.length === 2, { what: "the 04:00 run" });
    expect(h.runs[1]?.scheduledAt).toEqual(new Date("2026-01-05T04:00:00Z"));
  });

  it("runs a tick missed while down once at start-up when it is within the grace", async () => {
    clock.set("2026-01-05T02:04:00Z");
    const first = harness({ graceMs: 300_000 });
    await first.job.start();
    await waitFor(() => first.runs.length === 1 && !first.job.running, { what: "the catch-up run" });
    expect(first.runs[0]).toEqual({ scheduledAt: new Date("2026-01-05T02:00:00Z"), catchUp: true });
    expect(logged(first.lines, "ran a tick missed while down")).toHaveLength(1);
    // A second process starting within the grace finds the tick claimed and does not run it again.
    clock.set("2026-01-05T02:04:30Z");
    const second = harness({ graceMs: 300_000, holder: "p2" });
    await second.job.start();
    expect(second.runs).toHaveLength(0);
    expect(second.job.lastTick?.outcome).toBe("claimed-elsewhere");
  });

  it("does not run a tick missed beyond the grace, and says so", async () => {
    await new TickClaimStore(t.db.sql).claim("backup:database", new Date("2026-01-04T02:00:00Z"), "p0", clock.now());
    clock.set("2026-01-05T02:05:01Z");
    const h = harness({ graceMs: 300_000 });
    await h.job.start();
    expect(h.runs).toHaveLength(0);
    const missed = logged(h.lines, "tick missed while down, beyond the misfire grace; not run");
    expect(missed).toHaveLength(1);
    expect(missed[0]?.tick).toBe("2026-01-05T02:00:00.000Z");
    expect(h.job.lastTick?.outcome).toBe("missed");
    // The schedule carries on from the next tick.
    expect(h.job.nextRunAt).toEqual(new Date("2026-01-06T02:00:00Z"));
    await clock.advance(86_400_000);
    await waitFor(() => h.runs.length === 1, { what: "the next day's run" });
    expect(h.runs[0]?.catchUp).toBe(false);
  });

  it("re-checks the time when a timer fires: a late one is logged and run within the grace, not beyond it", async () => {
    const h = harness({ graceMs: 300_000 });
    await h.job.start();
    // The machine was suspended: the wall clock jumps past the tick before the timer fires.
    clock.set("2026-01-05T02:02:00Z");
    await clock.advance(0);
    await waitFor(() => h.runs.length === 1, { what: "the late run" });
    const late = logged(h.lines, "timer fired late");
    expect(late).toHaveLength(1);
    expect(late[0]?.lateMs).toBe(120_000);
    clock.set("2026-01-06T02:10:00Z");
    await clock.advance(0);
    await waitFor(() => h.job.lastTick?.outcome === "missed", { what: "the second tick to be missed" });
    expect(h.runs).toHaveLength(1);
    expect(logged(h.lines, "timer fired beyond the misfire grace; not run")).toHaveLength(1);
  });

  it("logs a timer that fires early and waits again instead of running", async () => {
    let early = true;
    const earlyClock: Clock = {
      now: () => clock.now(),
      sleep: (ms, signal) => {
        if (early) {
          early = false;
          return Promise.resolve();
        }
        return clock.sleep(ms, signal);
      },
    };
    const h = harness({ clock: earlyClock, maxSleepMs: 3_600_000 });
    await h.job.start();
    await waitFor(() => logged(h.lines, "timer fired early; waiting again").length === 1, { what: "the early wake" });
    expect(logged(h.lines, "timer fired early; waiting again")[0]?.earlyMs).toBe(120_000);
    expect(h.runs).toHaveLength(0);
    await clock.advance(120_000);
    await waitFor(() => h.runs.length === 1, { what: "the run at the tick" });
  });

  it("lets a run in flight finish within the stop grace, and aborts one that goes beyond it", async () => {
    let aborted = false;
    const h = harness({
      run: (_tick, signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          });
        }),
    });
    await h.job.start();
    await clock.advance(120_000);
    await waitFor(() => h.job.running, { what: "the run to start" });
    let stopped = false;
    const stopping = h.job.stop(10_000).then(() => {
      stopped = true;
    });
    await clock.advance(9_000);
    expect(stopped).toBe(false);
    expect(aborted).toBe(false);
    while (!stopped) await clock.advance(1_000);
    await stopping;
    expect(aborted).toBe(true);
    expect(h.job.running).toBe(false);
    expect(logged(h.lines, "run did not finish within the shutdown grace; aborting it")).toHaveLength(1);
  });
});
