import { afterEach, beforeEach, expect, it } from "vitest";
import type { Sql } from "../../src/db/sql.js";
import type { SqliteSql } from "../../src/db/sqlite-sql.js";
import { enqueueEmail, enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import { DUE } from "../../src/services/email/store/due.js";
import { PG_CLAIM } from "../../src/services/email/store/pg.js";
import {
  SQLITE_CLAIM,
  SQLITE_DUE_OF_PRIORITY,
  SQLITE_PRIORITIES,
} from "../../src/services/email/store/sqlite-queue-sql.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";

const T0 = new Date("2026-02-01T12:00:00Z");
const FUTURE_JOBS = 5_000;

/** Jobs scheduled ahead, over three priorities, all after T0: what the claim must not read. */
async function fillFuture(sql: Sql): Promise<void> {
  if (sql.dialect === "pg") {
    await sql.run(
      `insert into email_jobs (to_addrs, subject, text_body, priority, run_at)
       select '["a@example.com"]'::jsonb, 'f' || i, 'x', i % 3 - 1, ?::timestamptz + i * interval '1 second'
       from generate_series(1, ${FUTURE_JOBS}) i`,
      [T0],
    );
    await sql.run("analyze email_jobs");
  } else {
    await sql.run(
      `with recursive s(i) as (select 1 union all select i + 1 from s where i < ${FUTURE_JOBS})
       insert into email_jobs (to_addrs, subject, text_body, priority, run_at)
       select '["a@example.com"]', 'f' || i, 'x', i % 3 - 1, ? + i * 1000 from s`,
      [T0],
    );
    await sql.run("analyze");
  }
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  "Rows Removed by Filter"?: number;
  Plans?: PlanNode[];
}

function* nodes(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* nodes(child);
}

describeEachDialect("email due-first", (dialect, makeDb) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await makeDb();
    await fillFuture(t.db.sql);
    for (const [subject, priority, ago] of [
      ["late", 5, 1_000],
      ["urgent", -1, 10],
      ["normal-old", 0, 5_000],
      ["normal", 0, 100],
    ] as const) {
      await enqueueEmail(
        t.db.sql,
        { to: "b@example.com", subject, text: "x", priority },
        { now: new Date(T0.getTime() - ago) },
      );
    }
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it(`claims only the due jobs, in order, with ${FUTURE_JOBS} scheduled ahead, and finds the oldest due`, async () => {
    const store = createEmailStore(t.db);
    const stats = await store.stats(T0);
    expect(stats.oldestPendingAgeSeconds).toBe(5);
    const first = await store.claim({ holder: "h", now: T0, leaseMs: 60_000, limit: 3, messageIdDomain: "d" });
    expect(first.map((j) => j.subject)).toEqual(["urgent", "normal-old", "normal"]);
    const rest = await store.claim({ holder: "h", now: T0, leaseMs: 60_000, limit: 10, messageIdDomain: "d" });
    expect(rest.map((j) => j.subject)).toEqual(["late"]);
    expect((await store.stats(T0)).oldestPendingAgeSeconds).toBeNull();
  });

  it("reads due-first as index ranges: no scan of the jobs ahead, no sort of them", async () => {
    if (dialect === "sqlite") {
      const raw = (t.db.sql as SqliteSql).raw;
      let on = raw;
      const plan = (text: string, params: unknown[]) =>
        (on.prepare(`explain query plan ${text}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
      const expectRanges = () => {
        const details = [
          ...plan(SQLITE_PRIORITIES, []),
          ...plan(SQLITE_DUE_OF_PRIORITY, [0, T0.getTime(), 10]),
          ...plan(SQLITE_CLAIM, ["h", 0, 0, "d", "[1, 2]"]),
          ...plan(DUE.sqlite.oldestPending, []),
        ];
        const onJobs = details.filter((d) => / email_jobs /.test(`${d} `));
        expect(onJobs.length).toBeGreaterThan(4);
        for (const d of onJobs) expect(d).toMatch(/USING (COVERING INDEX email_jobs_pending_idx|INTEGER PRIMARY KEY)/);
        // The per-priority range is the due rows themselves, in run_at order: nothing to sort.
        expect(plan(SQLITE_DUE_OF_PRIORITY, [0, T0.getTime(), 10])).toEqual([
          "SEARCH email_jobs USING COVERING INDEX email_jobs_pending_idx (priority=? AND run_at<?)",
        ]);
        expect(details.join("\n")).not.toMatch(/TEMP B-TREE/);
      };
      expectRanges();
      // And as on a new file, before any statistics (a connection reads them when it opens):
      // the planner then took the lowest priority from email_jobs_status_id_idx, reading and
      // sorting every pending job on every claim.
      raw.exec("delete from sqlite_stat1");
      const fresh = await t.another();
      on = (fresh.sql as SqliteSql).raw;
      expect(on.prepare("select count(*) as n from sqlite_stat1").get()).toEqual({ n: 0 });
      expectRanges();
      return;
    }
    // PostgreSQL: run the claim and the oldest-pending query under EXPLAIN ANALYZE (rolled
    // back) and count the email_jobs rows every node read.
    const read = async (text: string, params: unknown[]) =>
      t.db.sql
        .tx(async (tx) => {
          const [row] = await tx.all<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(
            `explain (analyze, format json) ${text}`,
            params,
          );
          throw Object.assign(new Error("roll back"), { plan: row?.["QUERY PLAN"][0]?.Plan });
        })
        .catch((error: { plan?: PlanNode }) => {
          if (!error.plan) throw error;
          return [...nodes(error.plan)].filter((n) => n["Relation Name"] === "email_jobs");
        });
    const claimNodes = await read(PG_CLAIM, [T0, 10, 10, "h", T0, T0, "d"]);
    const oldestNodes = await read(DUE.pg.oldestPending, []);
    for (const scans of [claimNodes, oldestNodes]) {
      expect(scans.map((n) => n["Node Type"])).not.toContain("Seq Scan");
      const rowsRead = scans.reduce(
        (sum, n) => sum + n["Actual Rows"] * n["Actual Loops"] + (n["Rows Removed by Filter"] ?? 0),
        0,
      );
      // Four due jobs, four priorities: a handful of entries, not the 5,000 ahead.
      expect(rowsRead).toBeLessThan(30);
    }
    expect(claimNodes.some((n) => n["Index Name"] === "email_jobs_pending_idx")).toBe(true);

    // With thousands due, the claimed rows are still found by key: joined to its CTE, the update
    // once hashed them against a scan of the whole table, on every claim.
    await enqueueEmails(
      t.db.sql,
      Array.from({ length: 3_000 }, (_, i) => ({ to: "c@example.com", subject: `due ${i}`, text: "x" })),
      { now: new Date(T0.getTime() - 60_000) },
    );
    await t.db.sql.run("analyze email_jobs");
    const busyNodes = await read(PG_CLAIM, [T0, 100, 100, "h", T0, T0, "d"]);
    expect(busyNodes.map((n) => n["Node Type"])).not.toContain("Seq Scan");
  });
});
