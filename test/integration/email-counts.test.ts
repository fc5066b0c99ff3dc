import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.js";
import { type Database, openDatabase } from "../../src/db/open.js";
import { enqueueEmail } from "../../src/services/email/enqueue/enqueue.js";
import type { EmailInput } from "../../src/services/email/enqueue/validate.js";
import {
  foldUncounted,
  readEmailCounts,
  recountEmailCounters,
  tidyEmailCounters,
} from "../../src/services/email/store/counts.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import type { EmailStore } from "../../src/services/email/store.js";
import { runCliHere } from "../helpers/cli.js";
import { CountingSql } from "../helpers/counting-sql.js";
import {
  describeEachDialect,
  describePg,
  freshPg,
  migrationsBefore,
  pgTestDb,
  type TestDb,
  tempDir,
} from "../helpers/db.js";
import { enqueueMany as enqueueManyOn, statusCounts } from "../helpers/email.js";

const T0 = new Date("2026-02-01T12:00:30Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const ALL_ZERO = { pending: 0, sending: 0, sent: 0, failed: 0, cancelled: 0 };

/** What the table holds, every status named: what the counters must say. */
async function truth(db: Database): Promise<Record<string, number>> {
  return { ...ALL_ZERO, ...(await statusCounts(db)) };
}

describeEachDialect("email counters", (dialect, makeDb) => {
  let t: TestDb;
  let store: EmailStore;
  beforeEach(async () => {
    t = await makeDb();
    store = createEmailStore(t.db);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** Adds to a counter's row, which need not exist yet (on SQLite, new jobs are in none until a fold). */
  const tamper = (name: string, n: number) =>
    t.db.sql.run(
      "insert into counters (name, shard, n) values (?, 0, ?) on conflict (name, shard) do update set n = counters.n + excluded.n",
      [name, n],
    );

  const enqueueMany = (n: number, extra: Partial<EmailInput> = {}) => enqueueManyOn(t.db.sql, n, T0, extra);

  it("follows every change of status, ours and a host app's, and stats reads no count of email_jobs", async () => {
    const jobs = await enqueueMany(6);
    await enqueueEmail(
      t.db.sql,
      { to: "b@example.com", subject: "later", text: "x", sendAt: at(3_600_000) },
      { now: T0 },
    );
    const claimed = await store.claim({ holder: "p1", now: T0, leaseMs: 60_000, limit: 4, messageIdDomain: "x" });
    await store.settle("p1", [
      { kind: "sent", id: claimed[0]?.id as string, at: T0, rejected: [], note: null, code: null, recipients: null },
      { kind: "failed", id: claimed[1]?.id as string, at: T0, error: "550", code: 550, recipients: null },
      {
        kind: "retry",
        id: claimed[2]?.id as string,
        at: T0,
        runAt: at(1000),
        error: "421",
        code: 421,
        recipients: null,
      },
    ]);
    await store.cancel(jobs[5]?.id as string, T0);
    // A host app's own statements, around the store.
    await t.db.sql.run("insert into email_jobs (to_addrs, subject, text_body) values (?, 'direct', 'x')", [
      JSON.stringify(["c@example.com"]),
    ]);
    await t.db.sql.run("update email_jobs set status = 'cancelled' where subject = 'direct'");
    await t.db.sql.run("delete from email_jobs where status = 'cancelled' and subject = 'direct'");

    const counting = new CountingSql(t.db.sql);
    const { counts, perMinute } = await readEmailCounts(counting, T0);
    expect(counts).toEqual(await truth(t.db));
    expect(counts).toEqual({ pending: 3, sending: 1, sent: 1, failed: 1, cancelled: 1 });
    await expectNoCountOfTheTable(counting.log.statements);
    expect(perMinute).toEqual([{ at: new Date("2026-02-01T12:00:00Z"), sent: 1, failed: 1 }]);
    const stats = await store.stats(T0);
    expect(stats).toMatchObject({ counts, sentLastMinute: 1, failedLastMinute: 1, oldestPendingAgeSeconds: 0 });
  });

  /**
   * PostgreSQL's read names only the counters; SQLite's also counts the jobs above the watermark
   * (sqlite 0015, 0019: by status, and the sent and failed ones by minute), which must be ranges
   * of the rowid, never a scan of the table.
   */
  async function expectNoCountOfTheTable(statements: readonly string[]): Promise<void> {
    const touching = statements.filter((s) => /email_jobs/.test(s));
    if (dialect === "pg") return expect(touching).toEqual([]);
    expect(touching).toHaveLength(1);
    const plan = await t.db.sql.all<{ detail: string }>(
      `explain query plan ${touching[0]}`,
      Array.from((touching[0] as string).matchAll(/\?/g), () => "x"),
    );
    const onTable = plan.map((p) => p.detail).filter((d) => /email_jobs/.test(d));
    expect(onTable).toEqual(Array(2).fill("SEARCH email_jobs USING INTEGER PRIMARY KEY (rowid>?)"));
  }

  it("stays exact under claimers racing on three connections", async () => {
    await enqueueMany(200);
    const handles = [t.db, await t.another(), await t.another()];
    await Promise.all(
      handles.map(async (h, i) => {
        const s = createEmailStore(h);
        for (;;) {
          const jobs = await s.claim({ holder: `p${i}`, now: T0, leaseMs: 60_000, limit: 7, messageIdDomain: "x" });
          if (jobs.length === 0) return;
          const half = jobs.slice(0, Math.ceil(jobs.length / 2));
          await s.settle(
            `p${i}`,
            half.map((j) => ({
              kind: "sent",
              id: j.id,
              at: T0,
              rejected: [],
              note: null,
              code: null,
              recipients: null,
            })),
          );
        }
      }),
    );
    const { counts } = await readEmailCounts(t.db.sql, T0);
    expect(counts).toEqual(await truth(t.db));
    expect(counts.pending).toBe(0);
    expect(counts.sent + counts.sending).toBe(200);
    await tidyEmailCounters(t.db.sql, T0);
    expect((await readEmailCounts(t.db.sql, T0)).counts).toEqual(counts);
    if (dialect === "pg") {
      const shards = await t.db.sql.all("select name from counters where shard <> 0");
      expect(shards).toEqual([]);
    }
  });

  it("counts one UPDATE of thousands of jobs exactly, its minutes too, without pairing rows", async () => {
    await enqueueMany(3000);
    await t.db.sql.run("update email_jobs set status = 'sent', sent_at = ?, updated_at = ? where status = 'pending'", [
      T0,
      T0,
    ]);
    const { counts, perMinute } = await readEmailCounts(t.db.sql, T0);
    expect(counts).toEqual({ ...ALL_ZERO, sent: 3000 });
    expect(perMinute.reduce((sum, m) => sum + m.sent, 0)).toBe(3000);
    if (dialect === "pg") {
      // A nested loop over the two transition tables compared k² pairs per statement (pg 0009).
      const fn = await t.db.sql.get<{ config: string[] | null }>(
        "select proconfig as config from pg_proc where proname = 'email_jobs_counted_update'",
      );
      expect(fn?.config).toContain("enable_nestloop=off");
    }
  });

  it("counts one INSERT of jobs in every status, those stored sent or failed in their minutes", async () => {
    await enqueueMany(2);
    const rows: Array<[string, Date]> = [
      ["pending", T0],
      ["pending", T0],
      ["sending", T0],
      ["sent", T0],
      ["sent", T0],
      ["sent", at(-120_000)],
      ["failed", at(-120_000)],
      ["cancelled", T0],
    ];
    await t.db.sql.run(
      `insert into email_jobs (to_addrs, subject, text_body, status, updated_at) values ${rows.map(() => "(?, 's', 'x', ?, ?)").join(", ")}`,
      rows.flatMap(([status, when]) => [JSON.stringify(["a@example.com"]), status, when]),
    );
    const { counts, perMinute } = await readEmailCounts(t.db.sql, T0);
    expect(counts).toEqual(await truth(t.db));
    expect(counts).toEqual({ pending: 4, sending: 1, sent: 3, failed: 1, cancelled: 1 });
    expect(perMinute).toEqual([
      { at: new Date("2026-02-01T11:58:00Z"), sent: 1, failed: 1 },
      { at: new Date("2026-02-01T12:00:00Z"), sent: 2, failed: 0 },
    ]);
  });

  it("recount puts a tampered counter right", async () => {
    await enqueueMany(5);
    await tamper("email.pending", 40);
    await t.db.sql.run("insert into counters (name, shard, n) values ('email.sending', 0, 3)");
    expect((await store.stats(T0)).counts).toMatchObject({ pending: 45, sending: 3 });
    const exact = await recountEmailCounters(t.db.sql, T0);
    expect(exact).toEqual({ ...ALL_ZERO, pending: 5 });
    expect((await store.stats(T0)).counts).toEqual({ ...ALL_ZERO, pending: 5 });
  });

  it("`steward doctor recount` puts the queue's counters right too", async () => {
    await enqueueMany(4);
    await tamper("email.pending", 7);
    const cwd = tempDir();
    const run = await runCliHere(["doctor", "recount"], { env: { DATABASE_URL: t.url, DATA_DIR: cwd }, cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/email\.pending\s+11\s+4 \(fixed\)/);
    expect((await store.stats(T0)).counts).toEqual({ ...ALL_ZERO, pending: 4 });
  });

  it("keeps the sent and failed minutes for an hour", async () => {
    const jobs = await enqueueMany(3);
    const claimed = await store.claim({ holder: "p", now: T0, leaseMs: 60_000, limit: 3, messageIdDomain: "x" });
    expect(claimed).toHaveLength(3);
    const sentAt = [at(-90 * 60_000), at(-20 * 60_000), at(0)];
    await store.settle(
      "p",
      jobs.map((j, i) => ({
        kind: "sent",
        id: j.id,
        at: sentAt[i] as Date,
        rejected: [],
        note: null,
        code: null,
        recipients: null,
      })),
    );
    // On SQLite the new jobs' minutes reach the counters with the fold (sqlite 0019).
    await foldUncounted(t.db.sql);
    await tidyEmailCounters(t.db.sql, T0);
    const { perMinute } = await readEmailCounts(t.db.sql, T0);
    expect(perMinute.map((m) => m.at.toISOString())).toEqual(["2026-02-01T11:40:00.000Z", "2026-02-01T12:00:00.000Z"]);
    const names = await t.db.sql.all<{ name: string }>("select name from counters where name like 'email.sent@%'");
    expect(names).toHaveLength(2);
  });
});

describeEachDialect("email counters at volume", (dialect, makeDb) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await makeDb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("tidies 40,000 old minutes and folds 40,000 names of another shard (more than one statement's parameters)", async () => {
    const minute = Math.floor(T0.getTime() / 60_000) * 60;
    const series =
      dialect === "pg"
        ? "select i from generate_series(1, 40000) i"
        : "with recursive s(i) as (select 1 union all select i + 1 from s where i < 40000) select i from s";
    // A history imported with its old times: a minute counter for each of 40,000 past minutes.
    await t.db.sql.run(
      `insert into counters (name, shard, n) select 'email.sent@' || (${minute} - (61 + i) * 60), 0, 1 from (${series}) q`,
    );
    await t.db.sql.run(`insert into counters (name, shard, n) select 'x.' || i, 7, i from (${series}) q`);
    await t.db.sql.run(`insert into counters (name, shard, n) values ('email.sent@${minute}', 0, 2)`);
    await tidyEmailCounters(t.db.sql, T0);
    const left = await t.db.sql.get<{ n: unknown }>("select count(*) as n from counters where name like 'email.%'");
    expect(Number(left?.n)).toBe(1);
    expect((await readEmailCounts(t.db.sql, T0)).perMinute).toEqual([
      { at: new Date(minute * 1000), sent: 2, failed: 0 },
    ]);
    const shards = await t.db.sql.get<{ n: unknown; total: unknown }>(
      "select count(*) as n, sum(n) as total from counters where name like 'x.%' and shard = ?",
      [dialect === "pg" ? 0 : 7],
    );
    expect({ n: Number(shards?.n), total: Number(shards?.total) }).toEqual({ n: 40_000, total: (40_000 * 40_001) / 2 });
  });
});

describePg("email counters' statistics (PostgreSQL)", () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await pgTestDb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("are refreshed when a tidy prunes an imported history's minutes, so the planner sees the rows left", async () => {
    const minute = Math.floor(T0.getTime() / 60_000) * 60;
    await t.db.sql.run(
      `insert into counters (name, shard, n)
       select 'email.sent@' || (${minute} - (61 + i) * 60), 0, 1 from generate_series(1, 5000) i`,
    );
    await t.db.sql.run(`insert into counters (name, shard, n) values ('email.sent@${minute}', 0, 2)`);
    await tidyEmailCounters(t.db.sql, T0);
    const [left, stats] = await Promise.all([
      t.db.sql.get<{ n: unknown }>("select count(*) as n from counters"),
      t.db.sql.get<{ reltuples: unknown }>("select reltuples from pg_class where oid = 'counters'::regclass"),
    ]);
    // Never analysed, reltuples is -1 and the planner guesses from the table's pages.
    expect(Number(stats?.reltuples)).toBe(Number(left?.n));
  });
});

describeEachDialect("email counters migration", (dialect, makeDb) => {
  let t: TestDb;
  let dir: string;
  beforeEach(async () => {
    t = await makeDb();
    dir = tempDir("steward-migrations-");
  });
  afterEach(async () => {
    await t.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("starts the counters from the jobs already stored, and keeps every job", async () => {
    // A database migrated up to just before the counters: a copy of the folder whose journal stops there.
    const tag = dialect === "pg" ? "0005_email_counts" : "0008_email_counts";
    // Cut at the counters' migration: a later one (pg 0009) redefines its trigger function.
    const { folder: before, toApply } = migrationsBefore(dialect, tag, dir);
    const schema = `m_${Math.random().toString(16).slice(2, 10)}`;
    const db =
      dialect === "pg" ? await freshPg(t, schema) : openDatabase({ dialect: "sqlite", file: path.join(dir, "old.db") });
    try {
      await migrate(db, before);
      const now = new Date();
      const minuteAgo = new Date(now.getTime() - 60_000);
      const insert =
        "insert into email_jobs (to_addrs, subject, text_body, status, updated_at) values (?, ?, 'x', ?, ?)";
      const to = JSON.stringify(["a@example.com"]);
      for (const [i, status] of ["pending", "pending", "sent", "sent", "failed", "cancelled"].entries()) {
        await db.sql.run(insert, [to, `s${i}`, status, status === "cancelled" ? new Date(0) : minuteAgo]);
      }
      expect((await migrate(db)).applied).toBe(toApply);
      const { counts, perMinute } = await readEmailCounts(db.sql, now);
      expect(counts).toEqual({ pending: 2, sending: 0, sent: 2, failed: 1, cancelled: 1 });
      expect(perMinute.reduce((sum, m) => sum + m.sent, 0)).toBe(2);
      expect(perMinute.reduce((sum, m) => sum + m.failed, 0)).toBe(1);
      expect(await statusCounts(db)).toEqual({ pending: 2, sent: 2, failed: 1, cancelled: 1 });
    } finally {
      await db.close();
      if (dialect === "pg") await t.db.sql.run(`drop schema ${schema} cascade`);
    }
  });
});
