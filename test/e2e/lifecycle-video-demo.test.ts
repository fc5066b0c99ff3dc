import { afterEach, beforeEach, expect, it } from "vitest";
import type { Row } from "../../src/db/sql.js";
import { fromJson } from "../../src/db/sql.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";
import { baseEnv, runSteward, StewardProcess } from "../helpers/steward-process.js";
import { waitFor } from "../helpers/wait.js";

/** The real `steward` on a demo database: demo, run lifecycle, run video, lifecycle plan. */
describeEachDialect("steward demo, run and plan", (_dialect, makeDb) => {
  let t: TestDb;
  let cwd: string;
  beforeEach(async () => {
    t = await makeDb();
    cwd = tempDir();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const steward = (...args: string[]) => runSteward(args, { env: baseEnv({ DATABASE_URL: t.url }), cwd });
  const jobs = async (template: string) =>
    (
      await t.db.sql.all<Row>(
        "select to_addrs, template_id, idempotency_key from email_jobs where template_id like ? order by idempotency_key",
        [template],
      )
    ).map((r): [string, string, string] => [
      fromJson<string[]>(r.to_addrs, []).join(","),
      String(r.template_id),
      String(r.idempotency_key),
    ]);

  it("makes a Steward that already ran its passes act on the demo at once", async () => {
    const proc = new StewardProcess({ env: baseEnv({ DATABASE_URL: t.url, LEASE_TTL_SECONDS: "3" }), cwd });
    try {
      await proc.ready();
      // Both schedulers run a pass on the empty database; their next passes are an interval away.
      const ran = async () =>
        (await t.db.sql.all("select service from service_state where runs > 0 and service in ('lifecycle', 'video')"))
          .length === 2;
      await waitFor(ran, { what: "a first pass of each scheduler", everyMs: 10 });
      expect((await steward("demo")).code).toBe(0);
      const queued = async () => (await jobs("video%")).length > 0 && (await jobs("lifecycle%")).length > 0;
      await waitFor(queued, { what: "notices of both schedulers", everyMs: 10 });
      expect((await jobs("lifecycle%")).length).toBeGreaterThan(0);
      expect((await jobs("video%")).length).toBeGreaterThan(0);
    } finally {
      await proc.stop();
    }
  });

  it("fills an empty database once, then refuses with one line", async () => {
    const first = await steward("demo");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Added 2 projects, 9 portraits and 13 videos to /);
    const again = await steward("demo");
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      "steward: the database already has projects, portraits or videos; demo fills only an empty one\n",
    );
    const counts = await t.db.sql.get<Row>(
      "select (select count(*) from projects) as projects, (select count(*) from videos) as videos",
    );
    expect(counts).toEqual({ projects: 2, videos: 13 });
  });

  it("runs a lifecycle pass that queues each due notice once, and plans the rest", async () => {
    expect((await steward("demo")).code).toBe(0);
    const plan = await steward("lifecycle", "plan", "--days", "7", "--json");
    expect(plan.code).toBe(0);
    const planned = (JSON.parse(plan.stdout) as { notices: Array<{ kind: string; subject: string }> }).notices;
    expect(planned.map((n) => `${n.subject}:${n.kind}`).sort()).toEqual([
      "portrait:demo-ended-yesterday:expired",
      "portrait:demo-six-days:24hour",
      "portrait:demo-six-days:7day",
      "portrait:demo-six-days:expired",
      "portrait:demo-twelve-hours:24hour",
      "portrait:demo-twelve-hours:expired",
      "project:demo-museum:24hour",
      "project:demo-museum:7day",
      "project:demo-museum:expired",
    ]);

    const run = await steward("run", "lifecycle", "--json");
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(summary.notices).toEqual({ "7day": 2, "24hour": 1, expired: 1 });
    expect(summary.statusChanges).toEqual({
      project: { active: 0, expiring: 1, archived: 0 },
      portrait: { active: 0, expiring: 2, archived: 2 },
    });
    const queued = await jobs("lifecycle_%");
    expect(queued.map(([to, template]) => `${to} ${template}`)).toEqual([
      "curator@example.com lifecycle_expired",
      "curator@example.com lifecycle_7day",
      "curator@example.com lifecycle_24hour",
      "museum@example.com lifecycle_7day",
    ]);
    expect(queued.map(([, , key]) => key.replace(/:\d{4}-.*$/, ""))).toEqual([
      "lifecycle:portrait:demo-ended-yesterday:expired",
      "lifecycle:portrait:demo-six-days:7day",
      "lifecycle:portrait:demo-twelve-hours:24hour",
      "lifecycle:project:demo-museum:7day",
    ]);

    const human = await steward("run", "lifecycle");
    expect(human.stdout).toMatch(/notices queued: 7day 0, 24hour 0, expired 0/);
    expect(await jobs("lifecycle_%")).toHaveLength(4);
    const after = await steward("lifecycle", "plan", "--days", "7");
    expect(after.stdout).not.toMatch(/next pass/);
    expect(after.stdout).toMatch(/5 notice\(s\) in the next 7 day\(s\)\n$/);
  });

  it("runs a video pass that resolves overlaps, archives, and notifies each owner once", async () => {
    expect((await steward("demo")).code).toBe(0);
    const run = await steward("run", "video", "--json");
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(summary.changes).toEqual({ schedule_activation: 4, schedule_deactivation: 0, rotation: 0, archive: 1 });
    const shown = await t.db.sql.all<Row>("select id from videos where is_shown = ? order by id", [true]);
    expect(shown.map((r) => r.id)).toEqual([
      "demo-cyclic-1",
      "demo-entrance-opening",
      "demo-random-1",
      "demo-sequential-1",
    ]);
    const queued = await jobs("video_%");
    expect(queued.map(([to]) => to).sort()).toEqual([
      "harbor@example.com",
      "screens@example.com",
      "screens@example.com",
      "screens@example.com",
    ]);
    expect(
      queued.every(([, template, key]) => template === "video_schedule_change" && /^video-change:demo-/.test(key)),
    ).toBe(true);
    const again = await steward("run", "video");
    expect(again.stdout).toMatch(/changes: 0 shown by schedule, 0 hidden by schedule, 0 rotation, 0 archived/);
  });

  it("refuses a bad command line with one line", async () => {
    const unknown = await steward("run", "backups");
    expect([unknown.code, unknown.stderr]).toEqual([1, "steward: no such pass: backups (known: lifecycle, video)\n"]);
    const days = await steward("lifecycle", "plan", "--days", "0");
    expect([days.code, days.stderr]).toEqual([1, 'steward: --days "0" is not an integer from 1 to 3650\n']);
  });
});
