import { afterEach, beforeEach, expect, it } from "vitest";
import type { LifecycleConfig } from "../../src/config/schedulers.js";
import { createLogger } from "../../src/core/logger.js";
import type { Row, Sql } from "../../src/db/sql.js";
import { fromJson, toDate, toNumber } from "../../src/db/sql.js";
import { enqueueEmail } from "../../src/services/email/enqueue/enqueue.js";
import type { Enqueue } from "../../src/services/email/index.js";
import { LifecyclePass } from "../../src/services/lifecycle/pass.js";
import { lifecycleStatus } from "../../src/services/lifecycle/rules.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { CountingSql, CrashBeforeCommitSql } from "../helpers/counting-sql.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";

const H = 3_600_000;
const D = 24 * H;
const START = "2026-03-10T12:00:00.000Z";
const logger = createLogger({ level: "silent", format: "json", secrets: [] });
const CONFIG: LifecycleConfig = { enabled: true, intervalMs: H, notificationsEnabled: true, expiredNoticeDays: 30 };

describeEachDialect("lifecycle pass", (_dialect, makeDb) => {
  let t: TestDb;
  let clock: FakeClock;
  beforeEach(async () => {
    t = await makeDb();
    clock = new FakeClock(START);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const at = (offsetMs: number) => new Date(clock.now().getTime() + offsetMs);
  const pass = (options: { sql?: Sql; enqueue?: Enqueue; config?: Partial<LifecycleConfig>; batch?: number } = {}) =>
    new LifecyclePass({
      sql: options.sql ?? t.db.sql,
      clock,
      logger,
      config: { ...CONFIG, ...options.config },
      enqueue: options.enqueue ?? enqueueEmail,
      statusBatch: options.batch,
      noticeBatch: options.batch,
    });
  const run = (options?: Parameters<typeof pass>[0]) => pass(options).run(new AbortController().signal);

  async function project(id: string, end: Date | null, owner: string | null = `${id}@example.com`): Promise<void> {
    await t.db.sql.run(
      "insert into projects (id, name, owner_email, subscription_end, created_at, updated_at) values (?, ?, ?, ?, ?, ?)",
      [id, `Project ${id}`, owner, end, clock.now(), clock.now()],
    );
  }
  async function portrait(
    id: string,
    end: Date | null,
    opts: { owner?: string | null; project?: string; status?: string; changedAt?: Date } = {},
  ): Promise<void> {
    await t.db.sql.run(
      `insert into portraits (id, project_id, title, owner_email, subscription_end, lifecycle_status,
         lifecycle_changed_at, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        opts.project ?? null,
        `Portrait ${id}`,
        opts.owner === undefined ? `${id}@example.com` : opts.owner,
        end,
        opts.status ?? "active",
        opts.changedAt ?? null,
        clock.now(),
        clock.now(),
      ],
    );
  }
  const notices = async () =>
    (
      await t.db.sql.all<Row>(
        "select subject_type, subject_id, kind, subscription_end, recipient, email_job_id from lifecycle_notices order by subject_id, kind, subscription_end",
      )
    ).map((r) => `${r.subject_type}:${r.subject_id}:${r.kind}:${toDate(r.subscription_end)?.toISOString()}`);
  const jobs = async () =>
    (
      await t.db.sql.all<Row>("select to_addrs, template_id, idempotency_key from email_jobs order by idempotency_key")
    ).map((r) => ({ to: fromJson<string[]>(r.to_addrs, []), template: r.template_id, key: r.idempotency_key }));

  it("writes each status where it changes, with the time of the change, and agrees with the rules at every boundary", async () => {
    const before = new Date("2026-01-01T00:00:00Z");
    const ends: Array<[string, Date | null, string]> = [
      ["none", null, "expiring"],
      ["far", at(30 * D), "archived"],
      ["just-outside", at(7 * D + 1), "active"],
      ["seven-days", at(7 * D), "active"],
      ["one-hour", at(H), "expiring"],
      ["now", at(0), "expiring"],
      ["past", at(-D), "archived"],
    ];
    for (const [id, end, stored] of ends) await portrait(id, end, { status: stored, changedAt: before, owner: null });
    const summary = await run();
    const rows = await t.db.sql.all<Row>(
      "select id, subscription_end, lifecycle_status, lifecycle_changed_at from portraits",
    );
    for (const r of rows) {
      const expected = lifecycleStatus(toDate(r.subscription_end), clock.now());
      expect(r.lifecycle_status, String(r.id)).toBe(expected);
      const stored = ends.find(([id]) => id === r.id)?.[2];
      const changedAt = toDate(r.lifecycle_changed_at)?.toISOString();
      expect(changedAt, String(r.id)).toBe(stored === expected ? before.toISOString() : START);
    }
    // none, far -> active; seven-days -> expiring; now -> archived. just-outside, one-hour, past were right.
    expect(summary.statusChanges.portrait).toEqual({ active: 2, expiring: 1, archived: 1 });
    expect((await run()).statusChanges.portrait).toEqual({ active: 0, expiring: 0, archived: 0 });
  });

  it("sends each due notice once, to the portrait's owner else its project's, with its email job", async () => {
    await project("acme", at(60 * D), "acme@example.com");
    await project("soon", at(3 * D), "soon@example.com");
    await portrait("own", at(5 * D), { project: "acme" });
    await portrait("inherits", at(12 * H), { project: "acme", owner: null });
    await portrait("lapsed", at(-2 * D));
    await portrait("quiet", at(20 * D));
    const summary = await run();
    expect(summary.notices).toEqual({ "7day": 2, "24hour": 1, expired: 1 });
    const end = (ms: number) => at(ms).toISOString();
    expect(await notices()).toEqual([
      `portrait:inherits:24hour:${end(12 * H)}`,
      `portrait:lapsed:expired:${end(-2 * D)}`,
      `portrait:own:7day:${end(5 * D)}`,
      `project:soon:7day:${end(3 * D)}`,
    ]);
    expect(await jobs()).toEqual([
      {
        to: ["acme@example.com"],
        template: "lifecycle_24hour",
        key: `lifecycle:portrait:inherits:24hour:${end(12 * H)}`,
      },
      {
        to: ["lapsed@example.com"],
        template: "lifecycle_expired",
        key: `lifecycle:portrait:lapsed:expired:${end(-2 * D)}`,
      },
      { to: ["own@example.com"], template: "lifecycle_7day", key: `lifecycle:portrait:own:7day:${end(5 * D)}` },
      { to: ["soon@example.com"], template: "lifecycle_7day", key: `lifecycle:project:soon:7day:${end(3 * D)}` },
    ]);
    // Each notice row points at its email job.
    const linked = await t.db.sql.get<Row>(
      "select count(*) as n from lifecycle_notices n join email_jobs j on cast(j.id as text) = n.email_job_id",
    );
    expect(toNumber(linked?.n)).toBe(4);
    // A second pass at the same time, and one an hour later, send nothing more.
    expect((await run()).notices).toEqual({ "7day": 0, "24hour": 0, expired: 0 });
    clock.set(at(H));
    expect((await run()).notices).toEqual({ "7day": 0, "24hour": 0, expired: 0 });
    expect(await jobs()).toHaveLength(4);
  });

  it("gives a subject first seen with under 24 hours left only the 24-hour notice, then the expired one", async () => {
    await portrait("late", at(20 * H));
    await run();
    clock.set(at(20 * H));
    await run();
    expect((await notices()).map((n) => n.split(":")[2])).toEqual(["24hour", "expired"]);
  });

  it("sends the expired notice for a row already archived (seed skipped it), within LIFECYCLE_EXPIRED_NOTICE_DAYS only", async () => {
    await portrait("archived-recently", at(-2 * D), { status: "archived" });
    await portrait("archived-29d", at(-29 * D), { status: "archived" });
    await portrait("archived-31d", at(-31 * D), { status: "archived" });
    const summary = await run();
    expect(summary.notices.expired).toBe(2);
    expect((await notices()).map((n) => n.split(":")[1])).toEqual(["archived-29d", "archived-recently"]);
    expect((await run({ config: { expiredNoticeDays: 60 } })).notices.expired).toBe(1);
  });

  it("re-arms all three notices when a subscription is renewed", async () => {
    await portrait("renewed", at(12 * H));
    await run();
    const renewedEnd = at(20 * D);
    await t.db.sql.run("update portraits set subscription_end = ? where id = ?", [renewedEnd, "renewed"]);
    await run();
    expect(await t.db.sql.get<Row>("select lifecycle_status from portraits")).toEqual({ lifecycle_status: "active" });
    for (const offset of [13 * D, 19 * D, 20 * D]) {
      clock.set(new Date(Date.parse(START) + offset));
      await run();
    }
    expect(await notices()).toEqual([
      `portrait:renewed:24hour:${new Date(Date.parse(START) + 12 * H).toISOString()}`,
      `portrait:renewed:24hour:${renewedEnd.toISOString()}`,
      `portrait:renewed:7day:${renewedEnd.toISOString()}`,
      `portrait:renewed:expired:${renewedEnd.toISOString()}`,
    ]);
  });

  it("does not mark a notice sent when its email fails to enqueue; the others go, and it goes next pass", async () => {
    for (const id of ["a", "b", "c"]) await portrait(id, at(3 * D));
    const refusing: Enqueue = async (sql, input, options) => {
      if (input.to === "b@example.com") throw new Error("queue refused the message");
      return enqueueEmail(sql, input, options);
    };
    const first = await run({ enqueue: refusing });
    expect(first.notices["7day"]).toBe(2);
    expect(first.failed).toBe(1);
    expect((await notices()).map((n) => n.split(":")[1])).toEqual(["a", "c"]);
    expect((await jobs()).map((j) => j.to[0])).toEqual(["a@example.com", "c@example.com"]);
    const second = await run();
    expect(second).toMatchObject({ failed: 0, notices: { "7day": 1 } });
    expect((await jobs()).map((j) => j.to[0])).toEqual(["a@example.com", "b@example.com", "c@example.com"]);
  });

  it("loses and doubles nothing when the process dies between the notice and its commit", async () => {
    for (const id of ["a", "b"]) await portrait(id, at(3 * D));
    const crashed = await run({ sql: new CrashBeforeCommitSql(t.db.sql) });
    expect(crashed.notices["7day"]).toBe(0);
    expect(await notices()).toEqual([]);
    expect(await jobs()).toEqual([]);
    await run();
    await run();
    expect(await notices()).toHaveLength(2);
    expect(await jobs()).toHaveLength(2);
  });

  it("holds back a due notice with no owner email anywhere, and records nothing for it", async () => {
    await project("ownerless", at(60 * D), null);
    await portrait("orphan", at(3 * D), { owner: null, project: "ownerless" });
    const summary = await run();
    expect(summary).toMatchObject({ withoutRecipient: 1, notices: { "7day": 0 } });
    expect(await notices()).toEqual([]);
    await t.db.sql.run("update projects set owner_email = ? where id = ?", ["found@example.com", "ownerless"]);
    expect((await run()).notices["7day"]).toBe(1);
    expect((await jobs())[0]?.to).toEqual(["found@example.com"]);
  });

  it("changes statuses in batched UPDATEs over index ranges and reads notices in bounded pages", async () => {
    // 1,200 portraits, each in need of a new status; a tenth of them due for the 7-day notice.
    const values: unknown[] = [];
    for (let i = 0; i < 1200; i += 1) {
      const end = i % 10 === 0 ? at(3 * D + i) : i % 2 === 0 ? at(-90 * D - i) : at(5 * D + i);
      values.push(
        `p${String(i).padStart(5, "0")}`,
        "",
        i % 10 === 0 ? "o@example.com" : null,
        end,
        i % 2 ? "archived" : "active",
        clock.now(),
        clock.now(),
      );
    }
    for (let k = 0; k < values.length; k += 7 * 200) {
      const chunk = values.slice(k, k + 7 * 200);
      await t.db.sql.run(
        `insert into portraits (id, title, owner_email, subscription_end, lifecycle_status, created_at, updated_at) values ${Array.from({ length: chunk.length / 7 }, () => "(?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
        chunk,
      );
    }
    const counting = new CountingSql(t.db.sql);
    const summary = await run({ sql: counting, batch: 100 });
    expect(summary.statusChanges.portrait).toEqual({ active: 0, expiring: 720, archived: 480 });
    expect(summary.notices["7day"]).toBe(120);
    // 1,200 rows changed by 15 UPDATEs (each target's full batches and a short last one), never one per row.
    const statusUpdates = counting.log.statements.filter((s) => s.includes("update portraits set lifecycle_status"));
    expect(statusUpdates.length).toBe(15);
    expect(counting.log.maxRows).toBeLessThanOrEqual(100);
    const statuses = await t.db.sql.all<Row>(
      "select lifecycle_status as s, count(*) as n from portraits group by lifecycle_status order by s",
    );
    expect(statuses.map((r) => [r.s, toNumber(r.n)])).toEqual([
      ["archived", 480],
      ["expiring", 720],
    ]);
  });
});
