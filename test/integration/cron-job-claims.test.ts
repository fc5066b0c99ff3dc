import { afterEach, beforeEach, expect, it } from "vitest";
import { Lease, LeaseStore } from "../../src/db/coordination/leases.js";
import { TickClaimStore } from "../../src/db/coordination/tick-claims.js";
import type { Database } from "../../src/db/open.js";
import { CronJob, CronSchedule, type Tick } from "../../src/scheduling/cron-job.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { capturedLogger } from "../helpers/backup-support.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { waitFor } from "../helpers/wait.js";

describeEachDialect("cron job across processes", (_dialect, makeDb) => {
  let t: TestDb;
  let clock: FakeClock;
  let jobs: CronJob[] = [];

  beforeEach(async () => {
    t = await makeDb();
    clock = new FakeClock("2026-01-05T01:30:00Z");
  });
  afterEach(async () => {
    for (const job of jobs) await job.stop(0);
    jobs = [];
    await t.cleanup();
  });

  /** Three "processes": each its own connection, lease holder and claimant, on one schedule. */
  async function processes(run: (process: number, tick: Tick, signal: AbortSignal) => Promise<void>) {
    const handles: Database[] = [t.db, await t.another(), await t.another()];
    jobs = handles.map((handle, i) => {
      const { logger } = capturedLogger();
      return new CronJob(
        { clock, logger, ticks: new TickClaimStore(handle.sql), claimedBy: `p${i}`, onError: () => {} },
        {
          name: "backup:full",
          schedule: new CronSchedule("0 * * * *", "UTC"),
          misfireGraceMs: 300_000,
          // A TTL longer than the hour the fake clock leaps: renewals are real database round
          // trips that a leap of simulated time would otherwise outrun.
          lock: new Lease(new LeaseStore(handle.sql), "backup:full", `p${i}`, 4 * 3_600_000, clock),
          run: (tick, signal) => run(i, tick, signal),
        },
      );
    });
    for (const job of jobs) await job.start();
    return jobs;
  }

  it("runs each tick exactly once across three processes", async () => {
    const ranBy = new Map<string, number[]>();
    await processes(async (process, tick) => {
      const key = tick.scheduledAt.toISOString();
      ranBy.set(key, [...(ranBy.get(key) ?? []), process]);
    });
    const ticks: string[] = [];
    for (let hour = 2; hour <= 11; hour += 1) {
      const tick = new Date(Date.UTC(2026, 0, 5, hour)).toISOString();
      ticks.push(tick);
      await clock.advance(hour === 2 ? 1_800_000 : 3_600_000);
      await waitFor(() => jobs.every((j) => j.lastTick?.scheduledAt.toISOString() === tick && !j.running), {
        what: `every process to handle ${tick}`,
      });
    }
    expect([...ranBy.keys()].sort()).toEqual(ticks);
    for (const tick of ticks) expect(ranBy.get(tick)).toHaveLength(1);
    const outcomes = jobs.flatMap((j) => (j.lastTick ? [j.lastTick.outcome] : []));
    expect(outcomes.filter((o) => o === "ran")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "claimed-elsewhere")).toHaveLength(2);
  });

  it("never starts a tick in one process while the previous run goes on in another", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const ran: Array<{ process: number; tick: string }> = [];
    await processes(async (process, tick, signal) => {
      ran.push({ process, tick: tick.scheduledAt.toISOString() });
      const aborted = new Promise<void>((r) => signal.addEventListener("abort", () => r()));
      if (tick.scheduledAt.getUTCHours() === 2) await Promise.race([gate, aborted]);
    });
    await clock.advance(1_800_000);
    await waitFor(() => jobs.some((j) => j.running), { what: "the 02:00 run" });
    await clock.advance(3_600_000);
    await waitFor(() => jobs.every((j) => j.lastTick?.scheduledAt.toISOString() === "2026-01-05T03:00:00.000Z"), {
      what: "every process to handle 03:00",
    });
    expect(ran.map((r) => r.tick)).toEqual(["2026-01-05T02:00:00.000Z"]);
    const outcomes = jobs.map((j) => j.lastTick?.outcome).sort();
    // The runner skips its own overlap; whichever other process claims the tick finds the job busy.
    expect(outcomes).toContain("overlap");
    expect(outcomes).toContain("busy-elsewhere");
    release();
    await waitFor(() => jobs.every((j) => !j.running), { what: "the 02:00 run to end" });
    await clock.advance(3_600_000);
    await waitFor(() => ran.length === 2, { what: "the 04:00 run" });
    expect(ran[1]?.tick).toBe("2026-01-05T04:00:00.000Z");
  });
});
