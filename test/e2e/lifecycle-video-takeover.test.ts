import { afterEach, beforeEach, expect, it } from "vitest";
import type { Row } from "../../src/db/sql.js";
import { toDate, toNumber } from "../../src/db/sql.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";
import { baseEnv, type LogLine, runSteward, StewardProcess } from "../helpers/steward-process.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Two real `steward start` processes on one database: only the lease holder runs lifecycle
 * and video passes; SIGKILL it and the other takes over once the lease expires; no notice,
 * email job or history row is doubled across the handover.
 */

const TTL_SECONDS = 3;

describeEachDialect("two processes, one lease each for the lifecycle and video passes", (_dialect, makeDb) => {
  let t: TestDb;
  const procs: StewardProcess[] = [];
  beforeEach(async () => {
    t = await makeDb();
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) p.kill("SIGKILL");
    await t.cleanup();
  });

  const env = (instance: string) =>
    baseEnv({
      DATABASE_URL: t.url,
      INSTANCE_ID: instance,
      LEASE_TTL_SECONDS: String(TTL_SECONDS),
      LIFECYCLE_CHECK_INTERVAL_SECONDS: "1",
      VIDEO_SCHEDULER_CHECK_INTERVAL: "1",
      VIDEO_SCHEDULER_ROTATION_INTERVAL: "1",
      // Rotations mail their owners only when asked (off by default): on here, so that every
      // change is one email and a doubled pass shows as a doubled email.
      VIDEO_SCHEDULER_ROTATION_NOTICES: "true",
      LOG_LEVEL: "debug",
    });
  const start = (instance: string) => {
    const p = new StewardProcess({ env: env(instance), cwd: tempDir() });
    procs.push(p);
    return p;
  };
  const becameLeader = (lease: string) => (l: LogLine) => l.msg === "became leader" && l.lease === lease;
  const historyBy = async (actor: string) =>
    toNumber((await t.db.sql.get<Row>("select count(*) as n from video_schedule_history where actor = ?", [actor]))?.n);

  it("runs passes only on the holder, hands over after SIGKILL within the TTL, and doubles nothing", async () => {
    const demo = await runSteward(["demo"], { env: env("filler"), cwd: tempDir() });
    expect(demo.code).toBe(0);

    const a = start("proc-a");
    await a.ready();
    await a.waitForLog(becameLeader("lifecycle"));
    await a.waitForLog(becameLeader("video"));
    const b = start("proc-b");
    const bPort = await b.ready();
    // A keeps passing (rotation every second) while B stands by.
    const beforeB = await historyBy("steward:proc-a");
    await waitFor(async () => (await historyBy("steward:proc-a")) >= beforeB + 6, {
      what: "proc-a to rotate on",
      everyMs: 50,
    });
    const standby = (await b.get(bPort, "/status")).body as {
      services: Record<string, { leader: boolean; runs: number }>;
    };
    expect(standby.services.lifecycle?.leader).toBe(false);
    expect(standby.services.video?.leader).toBe(false);
    // Two more passes of each on A, so B has stood by for at least an interval of each.
    const passes = (p: StewardProcess, service: string) => p.lines.filter((l) => l.msg === `${service} pass`).length;
    const [lifecycleSoFar, videoSoFar] = [passes(a, "lifecycle"), passes(a, "video")];
    await waitFor(async () => passes(a, "lifecycle") >= lifecycleSoFar + 2 && passes(a, "video") >= videoSoFar + 2, {
      what: "two more passes of each on proc-a",
      everyMs: 50,
    });
    expect(passes(b, "lifecycle") + passes(b, "video")).toBe(0);
    expect(b.lines.some((l) => l.msg === "became leader")).toBe(false);
    expect(await historyBy("steward:proc-b")).toBe(0);

    a.kill("SIGKILL");
    await a.exited;
    const killedAt = Date.now();
    // A is dead, so its last renewal is what the lease rows now hold.
    const expiries = new Map(
      (await t.db.sql.all<Row>("select name, holder, expires_at from leases where name in ('lifecycle', 'video')")).map(
        (r) => [String(r.name), { holder: String(r.holder), expiresAt: toDate(r.expires_at)?.getTime() ?? 0 }],
      ),
    );
    expect(expiries.get("lifecycle")?.holder).toMatch(/^proc-a\//);
    expect(expiries.get("video")?.holder).toMatch(/^proc-a\//);

    const timeout = (2 * TTL_SECONDS + 10) * 1000;
    await b.waitForLog(becameLeader("lifecycle"), timeout);
    await b.waitForLog(becameLeader("video"), timeout);
    const leases = await t.db.sql.all<Row>(
      "select name, holder, acquired_at from leases where name in ('lifecycle', 'video') order by name",
    );
    const acquiredAt = new Map<string, number>();
    for (const lease of leases) {
      expect(lease.holder).toMatch(/^proc-b\//);
      const acquired = toDate(lease.acquired_at)?.getTime() ?? 0;
      const expired = expiries.get(String(lease.name))?.expiresAt ?? Number.POSITIVE_INFINITY;
      acquiredAt.set(String(lease.name), acquired);
      // Never two holders: B got in only once A's lease had run out, a TTL at most after A's last renewal.
      expect(acquired).toBeGreaterThanOrEqual(expired);
      expect(expired).toBeLessThanOrEqual(killedAt + TTL_SECONDS * 1000);
      // The handover within the TTL: B, trying every TTL/3 while it stands by, took the lease
      // less than a TTL after it ran out (both times are the processes' own, from the rows).
      expect(acquired - expired).toBeLessThan(TTL_SECONDS * 1000);
    }
    await waitFor(async () => (await historyBy("steward:proc-b")) >= 6, { what: "proc-b to rotate on", everyMs: 50 });
    // And B's passes took over from there: its first change was written after it took the lease
    // and within a TTL of it (the video interval is 1 s, and A's last pass set B's cadence).
    const firstByB = toDate(
      (await t.db.sql.get<Row>("select min(at) as at from video_schedule_history where actor = ?", ["steward:proc-b"]))
        ?.at,
    )?.getTime();
    const videoAcquired = acquiredAt.get("video") ?? Number.NaN;
    expect(firstByB).toBeGreaterThanOrEqual(videoAcquired);
    expect((firstByB ?? Number.POSITIVE_INFINITY) - videoAcquired).toBeLessThan(TTL_SECONDS * 1000);
    await b.waitForLog((l) => l.msg === "lifecycle pass");
    await b.stop();

    await expectNothingDoubled(t);
  });
});

/** Replays the history: each row starts where the video's last row ended; never two shown per portrait. */
async function expectNothingDoubled(t: TestDb): Promise<void> {
  const history = await t.db.sql.all<Row>("select * from video_schedule_history order by id");
  const stateOf = new Map<string, string>();
  const shownOn = new Map<string, Set<string>>();
  for (const r of history) {
    const video = String(r.video_id);
    const previous = stateOf.get(video);
    if (previous !== undefined) expect(r.old_state, `history row ${r.id} of ${video}`).toBe(previous);
    stateOf.set(video, String(r.new_state));
    const shown = shownOn.get(String(r.portrait_id)) ?? new Set<string>();
    if (r.new_state === "shown") shown.add(video);
    else shown.delete(video);
    expect(shown.size, `portrait ${r.portrait_id} after row ${r.id}`).toBeLessThanOrEqual(1);
    shownOn.set(String(r.portrait_id), shown);
  }
  const changesPerPass = await t.db.sql.all<Row>(
    "select count(*) as n from (select distinct portrait_id, at from video_schedule_history) s",
  );
  const videoEmails = await t.db.sql.get<Row>(
    "select count(*) as n from email_jobs where template_id = 'video_schedule_change'",
  );
  expect(toNumber(videoEmails?.n)).toBe(toNumber(changesPerPass[0]?.n));
  const notices = await t.db.sql.all<Row>("select subject_id, kind from lifecycle_notices order by subject_id, kind");
  expect(notices.map((n) => `${n.subject_id}:${n.kind}`)).toEqual([
    "demo-ended-yesterday:expired",
    "demo-museum:7day",
    "demo-six-days:7day",
    "demo-twelve-hours:24hour",
  ]);
  const lifecycleEmails = await t.db.sql.get<Row>(
    "select count(*) as n from email_jobs where template_id like 'lifecycle_%'",
  );
  expect(toNumber(lifecycleEmails?.n)).toBe(4);
}
