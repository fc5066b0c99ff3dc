import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Sql } from "../../src/db/sql.js";
import type { SqliteSql } from "../../src/db/sqlite-sql.js";
import { enqueueEmail, enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import { PG_BATCH, SQLITE_BATCH } from "../../src/services/email/store/cleanup.js";
import { finishedOf } from "../../src/services/email/store/finished.js";
import { EMAIL_STATUSES, type EmailStatus } from "../../src/services/email/store/job.js";
import {
  batchProgress,
  type ListOrder,
  type ListPosition,
  listOrderOf,
  listStatement,
} from "../../src/services/email/store/queries.js";
import { SQLITE_CLAIM, sqliteSettleText } from "../../src/services/email/store/sqlite-queue-sql.js";
import { describeEachDialect, sqliteTestDb, type TestDb } from "../helpers/db.js";

// Issue 11: email_jobs' indexes are partial where they can be (sqlite 0011, pg 0010), so a new
// job writes fewer b-trees. These tests hold what that must not cost: the key still dedupes,
// many jobs without a key are all stored, a batch is still found by its index, and the reads
// of finished jobs by age still go through their (now partial) index.

const T0 = new Date("2026-03-01T12:00:00Z");

/** Every index email_jobs has, with its condition (empty when it covers every row). */
async function indexes(sql: Sql): Promise<Map<string, string>> {
  const rows =
    sql.dialect === "pg"
      ? await sql.all<{ name: string; def: string }>(
          "select indexname as name, indexdef as def from pg_indexes where tablename = 'email_jobs' and schemaname = current_schema()",
        )
      : await sql.all<{ name: string; def: string | null }>(
          "select name, sql as def from sqlite_master where type = 'index' and tbl_name = 'email_jobs'",
        );
  return new Map(rows.map((r) => [r.name, /\bwhere\b(.*)$/i.exec(r.def ?? "")?.[1]?.trim() ?? ""]));
}

/** The plan of `text`, one line per step; on PostgreSQL with table scans and full sorts off, since
 * a handful of rows would be read by one and sorted: the question is whether the index can serve
 * the query at all, in its order (an incremental sort of one instant's ties stays allowed). */
async function planOf(sql: Sql, text: string, params: unknown[]): Promise<string> {
  if (sql.dialect === "sqlite") {
    const rows = (sql as SqliteSql).raw.prepare(`explain query plan ${text}`).all(...params) as Array<{
      detail: string;
    }>;
    return rows.map((r) => r.detail).join("\n");
  }
  return sql.tx(async (tx) => {
    await tx.run("set local enable_seqscan = off");
    await tx.run("set local enable_sort = off");
    const rows = await tx.all<{ "QUERY PLAN": string }>(`explain ${text}`, params);
    return rows.map((r) => r["QUERY PLAN"]).join("\n");
  });
}

describeEachDialect("email_jobs partial indexes", (dialect, makeDb) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await makeDb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("has no lease index and a condition on the key, batch and finished-by-age indexes", async () => {
    const found = await indexes(t.db.sql);
    expect(found.has("email_jobs_lease_idx")).toBe(false);
    expect(found.get("email_jobs_idempotency_key_unique")).toMatch(/idempotency_key is not null/i);
    expect(found.get("email_jobs_batch_idx")).toMatch(/batch_id is not null/i);
    expect(found.get("email_jobs_updated_idx")).toMatch(/status.*'sent'.*'failed'.*'cancelled'/i);
    expect(found.get("email_jobs_pending_idx")).toMatch(/status.*=.*'pending'/i);
    // No index over every job's status (sqlite 0013, pg 0011): the jobs in flight have their own.
    expect(found.has("email_jobs_status_id_idx")).toBe(false);
    expect(found.get("email_jobs_sending_idx")).toMatch(/status.*=.*'sending'/i);
  });

  it("pages each status's list through that status's index, at any depth, with no sort of the status", async () => {
    const position = (order: ListOrder): ListPosition => ({
      order,
      key: {
        newest: [1500],
        due: [0, dialect === "pg" ? "2026-03-01T12:00:00.123456+00:00" : T0.getTime(), 7],
        // Halfway down the finished jobs, as a page in the middle would be.
        finished: [dialect === "pg" ? "2026-03-01T12:00:15+00:00" : T0.getTime() + 15_000, 7],
      }[order],
    });
    // Enough rows, with statistics, for both planners to plan as in the field: finished a
    // hundred to a settle (one updated_at each), a third still pending. On an empty table any
    // plan costs nothing, and without statistics SQLite once chose differently.
    await enqueueEmails(
      t.db.sql,
      Array.from({ length: 3000 }, (_, i) => ({ to: "a@example.com", subject: `n${i}`, text: "x" })),
      { now: T0 },
    );
    const settle =
      dialect === "pg"
        ? "?::timestamptz + (substr(subject, 2)::int / 100) * interval '1 second'"
        : "? + cast(substr(subject, 2) as integer) / 100 * 1000";
    await t.db.sql.run(
      `update email_jobs set status = case when subject like '%7' then 'failed' else 'sent' end, updated_at = ${settle}
       where subject not like 'n1%'`,
      [T0],
    );
    await t.db.sql.run(dialect === "pg" ? "analyze email_jobs" : "analyze");
    const expected: Record<EmailStatus, RegExp> = {
      pending: /email_jobs_pending_idx/,
      sending: /email_jobs_sending_idx/,
      sent: /email_jobs_updated_idx/,
      failed: /email_jobs_updated_idx/,
      cancelled: /email_jobs_updated_idx/,
    };
    for (const status of EMAIL_STATUSES) {
      for (const after of [null, position(listOrderOf(status))]) {
        const { text, params } = listStatement(dialect, { status }, { after, limit: 50 });
        const plan = await planOf(t.db.sql, text, params);
        expect(plan, `${status} ${after ? "next page" : "first page"}`).toMatch(expected[status]);
        // No sort of the status's range: SQLite names one it needs; PostgreSQL may sort only the
        // ties of one instant (an incremental sort).
        expect(plan).not.toMatch(/TEMP B-TREE|^\s*->\s+Sort|^Sort/m);
      }
    }
  });

  it("still dedupes by key, stores many jobs without one, and finds a batch", async () => {
    const first = await enqueueEmail(
      t.db.sql,
      { to: "a@example.com", subject: "k", text: "x", idempotencyKey: "k-1" },
      { now: T0 },
    );
    const again = await enqueueEmail(
      t.db.sql,
      { to: "a@example.com", subject: "k", text: "x", idempotencyKey: "k-1" },
      { now: T0 },
    );
    expect(again).toEqual({ id: first.id, status: "pending", created: false });
    const unkeyed = await enqueueEmails(
      t.db.sql,
      Array.from({ length: 50 }, (_, i) => ({
        to: "b@example.com",
        subject: `n${i}`,
        text: "x",
        batchId: i < 20 ? "b-1" : undefined,
      })),
      { now: T0 },
    );
    expect(unkeyed.every((r) => r.created)).toBe(true);
    const stored = await t.db.sql.get<{ n: unknown }>("select count(*) as n from email_jobs");
    expect(Number(stored?.n)).toBe(51);
    expect((await batchProgress(t.db.sql, "b-1"))?.counts.pending).toBe(20);
  });

  it("deletes finished jobs by age through the finished jobs' index", async () => {
    const cleanup =
      dialect === "sqlite"
        ? await planOf(t.db.sql, SQLITE_BATCH, ["sent", T0.getTime(), 100])
        : await planOf(t.db.sql, PG_BATCH, ["sent", null, T0, 100, "sent", T0]);
    expect(cleanup).toMatch(/email_jobs_updated_idx/);
    const failedList = `select id from email_jobs where ${finishedOf("failed")} order by updated_at desc limit 10`;
    expect(await planOf(t.db.sql, failedList, [])).toMatch(/email_jobs_updated_idx/);
  });
});

// SQLite only: PostgreSQL's claim and settle are other statements (store/pg.ts), planned with
// the statistics autovacuum keeps.
describe("email_jobs on a new SQLite database", () => {
  it("claims and settles by key, never through the pending range of the status index", async () => {
    const t = await sqliteTestDb();
    try {
      // No ANALYZE: a new database has no statistics until the first PRAGMA optimize, and
      // without them the planner once walked every pending entry of (status, id) per claim.
      const raw = (t.db.sql as SqliteSql).raw;
      const plan = (text: string, params: unknown[]) =>
        (raw.prepare(`explain query plan ${text}`).all(...params) as Array<{ detail: string }>)
          .map((r) => r.detail)
          .filter((d) => / email_jobs /.test(`${d} `));
      expect(plan(SQLITE_CLAIM, ["h", 0, 0, "d", "[1, 2]"])).toEqual([
        "SEARCH email_jobs USING INTEGER PRIMARY KEY (rowid=?)",
      ]);
      expect(plan(sqliteSettleText(8), [...Array(8 * 9).fill(null), "h"])).toEqual([
        "SEARCH email_jobs USING INTEGER PRIMARY KEY (rowid=?)",
      ]);
    } finally {
      await t.cleanup();
    }
  });
});
