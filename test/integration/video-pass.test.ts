import { afterEach, beforeEach, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import type { VideoConfig } from "../../src/config/schedulers.js";
import { createLogger } from "../../src/core/logger.js";
import type { Database } from "../../src/db/open.js";
import type { Row, Sql } from "../../src/db/sql.js";
import { fromJson, toBool, toDate } from "../../src/db/sql.js";
import { enqueueEmail } from "../../src/services/email/enqueue/enqueue.js";
import { EmailValidationError } from "../../src/services/email/enqueue/validation-error.js";
import type { Enqueue } from "../../src/services/email/index.js";
import { VideoPass } from "../../src/services/video/pass.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { CrashBeforeCommitSql } from "../helpers/counting-sql.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";

const M = 60_000;
const H = 60 * M;
const D = 24 * H;
const START = "2026-03-10T12:00:00.000Z";
const logger = createLogger({ level: "silent", format: "json", secrets: [] });
const CONFIG: VideoConfig = {
  enabled: true,
  intervalMs: 5 * M,
  rotationIntervalMs: H,
  archiveAfterMs: 168 * H,
  notificationsEnabled: true,
  rotationNotices: false,
};

describeEachDialect("video pass", (dialect, makeDb) => {
  let t: TestDb;
  let clock: FakeClock;
  beforeEach(async () => {
    t = await makeDb();
    clock = new FakeClock(START);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const at = (offsetMs: number) => new Date(Date.parse(START) + offsetMs);
  const pass = (
    options: { sql?: Sql; db?: Database; enqueue?: Enqueue; config?: Partial<VideoConfig>; batch?: number } = {},
  ) =>
    new VideoPass({
      sql: options.sql ?? options.db?.sql ?? t.db.sql,
      clock,
      logger,
      config: { ...CONFIG, ...options.config },
      enqueue: options.enqueue ?? enqueueEmail,
      random: () => 0.5,
      actor: "steward:test",
      batchSize: options.batch,
    });
  const run = (options?: Parameters<typeof pass>[0]) => pass(options).run(new AbortController().signal);

  async function portrait(id: string, owner: string | null = `${id}@example.com`): Promise<void> {
    await t.db.sql.run("insert into portraits (id, title, owner_email) values (?, ?, ?)", [
      id,
      `Portrait ${id}`,
      owner,
    ]);
  }
  async function video(
    id: string,
    portraitId: string,
    v: { start?: Date | null; end?: Date | null; type?: string; order?: number; status?: string } = {},
  ): Promise<void> {
    await t.db.sql.run(
      `insert into videos (id, portrait_id, title, start_at, end_at, rotation_type, rotation_order, status, is_shown)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        portraitId,
        `Video ${id}`,
        v.start ?? null,
        v.end ?? null,
        v.type ?? "none",
        v.order ?? 0,
        v.status ?? "active",
        false,
      ],
    );
  }
  const history = async () =>
    (
      await t.db.sql.all<Row>(
        "select video_id, old_state, new_state, reason, at, actor from video_schedule_history order by id",
      )
    ).map((r) => `${r.video_id} ${r.old_state}->${r.new_state} ${r.reason} @${toDate(r.at)?.toISOString()}`);
  const shown = async () =>
    (await t.db.sql.all<Row>("select id, is_shown from videos order by id"))
      .filter((r) => toBool(r.is_shown))
      .map((r) => r.id);
  const jobs = async () =>
    (
      await t.db.sql.all<Row>(
        "select to_addrs, template_id, idempotency_key, variables from email_jobs order by created_at, idempotency_key",
      )
    ).map((r) => ({
      to: fromJson<string[]>(r.to_addrs, []),
      template: r.template_id,
      key: String(r.idempotency_key),
      variables: fromJson<Record<string, unknown>>(r.variables, {}),
    }));

  it("shows the latest of overlapping windows, archives an old video, and writes history and one notice per portrait", async () => {
    await portrait("hall");
    await video("early", "hall", { start: at(-2 * D), end: at(2 * D) });
    await video("late", "hall", { start: at(-D) });
    await video("old", "hall", { start: at(-30 * D), end: at(-8 * D) });
    const summary = await run();
    expect(summary.changes).toEqual({ schedule_activation: 1, schedule_deactivation: 0, rotation: 0, archive: 1 });
    expect(await history()).toEqual([
      `old hidden->archived archive @${START}`,
      `late hidden->shown schedule_activation @${START}`,
    ]);
    expect(await shown()).toEqual(["late"]);
    const old = await t.db.sql.get<Row>("select status, archived_at from videos where id = 'old'");
    expect([old?.status, toDate(old?.archived_at)?.toISOString()]).toEqual(["archived", START]);
    const [job, ...more] = await jobs();
    expect(more).toEqual([]);
    expect(job).toMatchObject({
      to: ["hall@example.com"],
      template: "video_schedule_change",
      key: expect.stringMatching(/^video-change:hall:\d+$/),
    });
    expect(job?.variables).toMatchObject({ portraitId: "hall", changeCount: 2, nowShowing: "Video late" });
    // Passes every five minutes for a day: the overlapping windows do not flip.
    for (let k = 1; k <= 24 * 12; k += 1) {
      clock.set(at(k * 5 * M));
      const s = await run();
      expect(
        Object.values(s.changes).reduce((a, b) => a + b, 0),
        `pass ${k}`,
      ).toBe(0);
    }
    expect(await history()).toHaveLength(2);
  });

  it("hides an ended video and shows the next, at the first pass after its end", async () => {
    await portrait("p");
    await video("a", "p", { start: at(-H), end: at(10 * M) });
    await video("b", "p", { start: at(-2 * H) });
    await run();
    clock.set(at(7 * M));
    await run();
    clock.set(at(12 * M));
    await run();
    expect(await history()).toEqual([
      `a hidden->shown schedule_activation @${START}`,
      `a shown->hidden schedule_deactivation @${at(12 * M).toISOString()}`,
      `b hidden->shown schedule_activation @${at(12 * M).toISOString()}`,
    ]);
    const a = await t.db.sql.get<Row>("select last_activated_at, last_deactivated_at from videos where id = 'a'");
    expect([toDate(a?.last_activated_at)?.toISOString(), toDate(a?.last_deactivated_at)?.toISOString()]).toEqual([
      START,
      at(12 * M).toISOString(),
    ]);
  });

  it("walks every portrait across batches, rotating each on its interval", async () => {
    for (let p = 0; p < 7; p += 1) {
      await portrait(`p${p}`);
      for (const n of [1, 2, 3]) await video(`p${p}-v${n}`, `p${p}`, { type: "cyclic", order: n });
    }
    expect((await run({ batch: 2 })).changes.schedule_activation).toBe(7);
    clock.set(at(H));
    const rotated = await run({ batch: 3 });
    expect(rotated.changes.rotation).toBe(14);
    expect(rotated.portraits).toBe(7);
    expect(await shown()).toEqual(Array.from({ length: 7 }, (_, p) => `p${p}-v2`));
  });

  it("mails no one for a rotation alone by default, and one mail per rotating portrait when asked", async () => {
    const { config } = loadConfig({}, { cwd: tempDir(), isTTY: false, hostname: "box", pid: 1 });
    expect(config.video.rotationNotices).toBe(false);
    for (const p of ["p", "q"]) {
      await portrait(p);
      for (const n of [1, 2]) await video(`${p}-v${n}`, p, { type: "cyclic", order: n });
    }
    // The first showing is a schedule change: it mails, whatever the setting.
    expect(await run({ config: { rotationNotices: config.video.rotationNotices } })).toMatchObject({ notices: 2 });
    expect(await jobs()).toHaveLength(2);
    clock.set(at(H));
    const quiet = await run({ config: { rotationNotices: config.video.rotationNotices } });
    expect(quiet).toMatchObject({ notices: 0, changes: { rotation: 4 } });
    expect(await shown()).toEqual(["p-v2", "q-v2"]);
    expect(await jobs()).toHaveLength(2);
    clock.set(at(2 * H));
    const loud = await run({ config: { rotationNotices: true } });
    expect(loud).toMatchObject({ notices: 2, changes: { rotation: 4 } });
    const mails = await jobs();
    expect(mails).toHaveLength(4);
    expect(mails.slice(2).map((m) => m.to)).toEqual([["p@example.com"], ["q@example.com"]]);
  });

  it("still mails a change beside a rotation, rotations listed with it", async () => {
    await portrait("p");
    for (const n of [1, 2]) await video(`v${n}`, "p", { type: "cyclic", order: n });
    await run();
    await video("old", "p", { start: at(-30 * D), end: at(-10 * D) });
    clock.set(at(H));
    const summary = await run();
    expect(summary).toMatchObject({ notices: 1, changes: { rotation: 2, archive: 1 } });
    const last = (await jobs()).at(-1)?.variables as { changes: Array<{ reason: string }> } | undefined;
    const reasons = (last?.changes ?? []).map((c) => c.reason).sort();
    expect(reasons).toEqual(["archive", "rotation", "rotation"]);
  });

  it("keeps a change whose notice the queue refuses for good, and says so", async () => {
    await portrait("p", "owner@example.com");
    await video("a", "p");
    const refusing: Enqueue = async () => {
      throw new EmailValidationError("to: not a mailbox");
    };
    const summary = await run({ enqueue: refusing });
    expect(summary).toMatchObject({ notices: 0, noticeFailures: 1, changes: { schedule_activation: 1 } });
    expect(await shown()).toEqual(["a"]);
    expect(await jobs()).toEqual([]);
  });

  it("writes nothing for a portrait whose notice failed for another reason, and both go out next pass", async () => {
    await portrait("p", "owner@example.com");
    await video("a", "p");
    // A failure that is not a refusal (the database went away mid-transaction, say).
    const failing: Enqueue = async () => {
      throw new Error("connection terminated unexpectedly");
    };
    const failed = await run({ enqueue: failing });
    expect(failed).toMatchObject({ notices: 0, noticeFailures: 0, failedPortraits: 1 });
    expect(await shown()).toEqual([]);
    expect(await history()).toEqual([]);
    const next = await run();
    expect(next).toMatchObject({ notices: 1, failedPortraits: 0, changes: { schedule_activation: 1 } });
    expect(await shown()).toEqual(["a"]);
    expect(await history()).toHaveLength(1);
    expect(await jobs()).toHaveLength(1);
  });

  it("loses and doubles nothing when the process dies before the change commits", async () => {
    await portrait("p");
    await video("a", "p");
    await video("b", "p", { end: at(-200 * H) });
    const crashed = await run({ sql: new CrashBeforeCommitSql(t.db.sql) });
    expect(crashed.failedPortraits).toBe(1);
    expect(await history()).toEqual([]);
    expect(await shown()).toEqual([]);
    expect(await jobs()).toEqual([]);
    await run();
    await run();
    expect(await history()).toHaveLength(2);
    expect(await jobs()).toHaveLength(1);
  });

  it("lets two passes racing on two connections write each change once", async () => {
    for (let p = 0; p < 20; p += 1) {
      await portrait(`p${p}`);
      for (const n of [1, 2]) await video(`p${p}-v${n}`, `p${p}`, { type: "sequential", order: n });
    }
    const other = await t.another();
    // On PostgreSQL they truly race (row locks, then a re-read). Two better-sqlite3 connections in
    // one process cannot: a busy wait is synchronous and would block the holder of the lock. Across
    // processes SQLite's BEGIN IMMEDIATE serializes them, so there they run one after the other.
    const results =
      dialect === "pg"
        ? await Promise.all([run({ batch: 3 }), run({ db: other, batch: 4 })])
        : [await run({ batch: 3 }), await run({ db: other, batch: 4 })];
    const activations = results.map((r) => r.changes.schedule_activation);
    expect(activations.reduce((a, b) => a + b, 0)).toBe(20);
    expect(await history()).toHaveLength(20);
    expect(await jobs()).toHaveLength(20);
    expect(await shown()).toHaveLength(20);
  });

  it("refuses a second shown video per portrait in the database itself", async () => {
    await portrait("p");
    await video("a", "p");
    await video("b", "p");
    await t.db.sql.run("update videos set is_shown = ? where id = 'a'", [true]);
    await expect(t.db.sql.run("update videos set is_shown = ? where id = 'b'", [true])).rejects.toThrow(/unique/i);
  });
});
