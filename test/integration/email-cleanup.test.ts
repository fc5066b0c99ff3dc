import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.js";
import { type Database, openDatabase } from "../../src/db/open.js";
import type { Sql } from "../../src/db/sql.js";
import type { SqliteSql } from "../../src/db/sqlite-sql.js";
import { enqueueEmail } from "../../src/services/email/enqueue/enqueue.js";
import { MAX_BATCH, MAX_WAL_PAUSE_MS, walPosition } from "../../src/services/email/store/cleanup.js";
import { readEmailCounts } from "../../src/services/email/store/counts.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import { describeEachDialect, describePg, pgTestDb, sqliteTestDb, type TestDb, tempDir } from "../helpers/db.js";
import { statusCounts } from "../helpers/email.js";
import { waitFor } from "../helpers/wait.js";

const T0 = new Date("2026-02-01T12:00:00Z");
const DAY = 86_400_000;
const OLD_PER_STATUS = 4_000;

/** Old sent, failed and cancelled jobs (the cleanup's work), written in one statement each. */
async function fillOld(sql: Sql): Promise<void> {
  for (const status of ["sent", "failed", "cancelled"]) {
    const params = [status, new Date(T0.getTime() - 40 * DAY)];
    if (sql.dialect === "pg") {
      await sql.run(
        `insert into email_jobs (to_addrs, subject, text_body, status, updated_at)
         select '["a@example.com"]'::jsonb, 'old' || i, 'x', ?, ?::timestamptz + i * interval '1 ms'
         from generate_series(1, ${OLD_PER_STATUS}) i`,
        params,
      );
    } else {
      await sql.run(
        `with recursive s(i) as (select 1 union all select i + 1 from s where i < ${OLD_PER_STATUS})
         insert into email_jobs (to_addrs, subject, text_body, status, updated_at)
         select '["a@example.com"]', 'old' || i, 'x', ?, ? + i from s`,
        params,
      );
    }
  }
}

describeEachDialect("email retention cleanup", (dialect, makeDb) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await makeDb();
    await fillOld(t.db.sql);
    await t.db.sql.run(
      "insert into email_jobs (to_addrs, subject, text_body, status, updated_at) values (?, 'recent', 'x', 'sent', ?)",
      [JSON.stringify(["a@example.com"]), new Date(T0.getTime() - DAY)],
    );
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("deletes in several small transactions while an enqueue goes through, and the counts stay right", async () => {
    // In one process SQLite's connection is shared, as the app shares it with POST /emails; on
    // PostgreSQL the enqueue comes from another connection, as from another process.
    const writer: Database = dialect === "pg" ? await t.another() : t.db;
    const store = createEmailStore(t.db);
    const events: string[] = [];
    const batches: number[] = [];
    let enqueued: Promise<unknown> | undefined;
    const deleted = await store.cleanup(new Date(T0.getTime() - 30 * DAY), {
      batchSize: 1_000,
      onBatch: (n) => {
        batches.push(n);
        events.push(`batch ${n}`);
      },
      pause: async () => {
        if (batches.length === 2) {
          enqueued = enqueueEmail(writer.sql, { to: "b@example.com", subject: "during", text: "x" }, { now: T0 }).then(
            () => events.push("enqueued"),
          );
          // The cleanup goes on once the enqueue commits (5 s at most, a failure's bound). Letting
          // it race on left the outcome to the machine: a cleanup that finished its last batches
          // before the enqueue's round trips failed the test on PostgreSQL once in CI.
          await Promise.race([enqueued, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        }
        await new Promise((resolve) => setImmediate(resolve));
      },
    });
    events.push("cleanup done");
    await enqueued;

    expect(deleted).toBe(3 * OLD_PER_STATUS);
    // Batches grow towards MAX_BATCH while they stay quick, so how many depends on the machine; never
    // fewer than the rows over the largest batch, and never one transaction for the lot.
    expect(batches.filter((n) => n > 0).length).toBeGreaterThanOrEqual(Math.max(2, Math.ceil(deleted / MAX_BATCH)));
    expect(Math.max(...batches)).toBeLessThanOrEqual(MAX_BATCH);
    // The enqueue went through between the second batch and the third, not after the cleanup:
    // no transaction of the cleanup's was open to hold it up.
    const done = events.indexOf("enqueued");
    expect(done).toBe(2);
    expect(events.slice(done).filter((e) => e.startsWith("batch")).length).toBeGreaterThanOrEqual(1);

    expect(await statusCounts(t.db)).toEqual({ sent: 1, pending: 1 });
    expect((await readEmailCounts(t.db.sql, T0)).counts).toEqual({
      pending: 1,
      sending: 0,
      sent: 1,
      failed: 0,
      cancelled: 0,
    });
    if (dialect === "sqlite") expect(fs.statSync(`${t.url}-wal`).size).toBe(0);
  });

  it("stops between batches when told to, keeping what it deleted and the counts right", async () => {
    const store = createEmailStore(t.db);
    const stop = new AbortController();
    const deleted = await store.cleanup(new Date(T0.getTime() - 30 * DAY), {
      batchSize: 500,
      signal: stop.signal,
      onBatch: () => stop.abort(),
      pause: () => Promise.resolve(),
    });
    expect(deleted).toBe(500);
    const left = await statusCounts(t.db);
    expect(left.sent).toBe(OLD_PER_STATUS - 500 + 1);
    expect((await readEmailCounts(t.db.sql, T0)).counts).toMatchObject(left);
  });
});

describe("email retention cleanup, SQLite's space", () => {
  it("reuses freed pages by default, and gives them back where auto_vacuum is INCREMENTAL", async () => {
    for (const mode of ["NONE", "INCREMENTAL"] as const) {
      const t = await sqliteTestDb();
      try {
        const raw = (t.db.sql as SqliteSql).raw;
        raw.pragma(`auto_vacuum = ${mode}`);
        raw.exec("VACUUM"); // an existing database takes a new auto_vacuum mode only through VACUUM
        await fillOld(t.db.sql);
        const pages = Number(raw.pragma("page_count", { simple: true }));
        await createEmailStore(t.db).cleanup(new Date(T0.getTime() - 30 * DAY), { pause: () => Promise.resolve() });
        const free = Number(raw.pragma("freelist_count", { simple: true }));
        if (mode === "NONE") {
          expect(free).toBeGreaterThan(0);
          expect(Number(raw.pragma("page_count", { simple: true }))).toBe(pages);
        } else {
          expect(free).toBe(0);
          expect(Number(raw.pragma("page_count", { simple: true }))).toBeLessThan(pages / 2);
        }
      } finally {
        await t.cleanup();
      }
    }
  });
});

describe("email retention cleanup, SQLite with the checkpoint thread (as `steward start` opens it)", () => {
  it("starts each status from the first batch's size, and the thread gives the WAL back afterwards", async () => {
    const dir = tempDir();
    const file = path.join(dir, "steward.db");
    const db = openDatabase({ dialect: "sqlite", file }, { backgroundCheckpoint: true });
    try {
      await migrate(db);
      await fillOld(db.sql);
      const batches: number[] = [];
      const steps: string[] = [];
      const deleted = await createEmailStore(db).cleanup(new Date(T0.getTime() - 30 * DAY), {
        batchSize: 300,
        onBatch: (n) => batches.push(n),
        onUpkeep: (step) => steps.push(step),
        pause: () => Promise.resolve(),
      });
      // Every old job but the newest (the last cancelled one), which SQLite's cleanup keeps
      // however old, so that its id is never handed out again.
      expect(deleted).toBe(3 * OLD_PER_STATUS - 1);
      // Sent, failed and cancelled each begin with 300 rows (the batch after an empty one).
      const firsts = batches.filter((_n, i) => i === 0 || batches[i - 1] === 0);
      expect(firsts).toEqual([300, 300, 300]);
      expect(steps).toEqual(["optimize", "WAL shrink, in the checkpoint thread"]);
      expect(fs.statSync(`${file}-wal`).size).toBe(0);
      expect(await statusCounts(db)).toEqual({ cancelled: 1 });
      const kept = await db.sql.all<{ id: number | string; subject: string }>("select id, subject from email_jobs");
      expect(kept.map((r) => [String(r.id), r.subject])).toEqual([
        [String(3 * OLD_PER_STATUS), `old${OLD_PER_STATUS}`],
      ]);
      expect((await readEmailCounts(db.sql, T0)).counts).toMatchObject({ sent: 0, failed: 0, cancelled: 1 });
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describePg("email retention cleanup, PostgreSQL", () => {
  it("paces its batches by the WAL the server writes, within a bound", async () => {
    const t = await pgTestDb();
    try {
      await fillOld(t.db.sql);
      const pauses: number[] = [];
      const batches: number[] = [];
      const deleted = await createEmailStore(t.db).cleanup(new Date(T0.getTime() - 30 * DAY), {
        batchSize: 1_000,
        // A kilobyte a second: any batch's WAL (tens of kilobytes) owes a pause longer than the bound.
        walBytesPerSecond: 1_000,
        onBatch: (_n, ms) => batches.push(ms),
        pause: async (ms) => {
          pauses.push(ms);
        },
      });
      expect(deleted).toBe(3 * OLD_PER_STATUS);
      // The first pause has no WAL position before its batch to measure from: it lasts as long as
      // the batch took. Every later one waits for the WAL, up to the bound.
      expect(pauses[0]).toBe(Math.max(batches[0] as number, 1));
      expect(pauses.length).toBeGreaterThan(3);
      expect(pauses.slice(1)).toEqual(pauses.slice(1).map(() => MAX_WAL_PAUSE_MS));

      // One reading of the position, both ways: other tests write WAL between two readings.
      const row = await t.db.sql.get<{ lsn: string; bytes: unknown }>(
        `with w as materialized (select pg_current_wal_insert_lsn() as at)
         select at::text as lsn, pg_wal_lsn_diff(at, '0/0') as bytes from w`,
      );
      expect(walPosition(row?.lsn as string)).toBe(BigInt(String(row?.bytes)));
    } finally {
      await t.cleanup();
    }
  });

  it("keeps a job that `retry` re-queued while a batch waited for its row", async () => {
    const t = await pgTestDb();
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    try {
      await fillOld(t.db.sql);
      const [first] = await t.db.sql.all<{ id: string }>(
        "select id from email_jobs where status = 'failed' order by updated_at limit 1",
      );
      const id = first?.id as string;
      // Another connection re-queues the failed job and holds its row until told to commit.
      await holder.query("begin");
      await holder.query("update email_jobs set status = 'pending', updated_at = now() where id = $1", [id]);
      const cleanup = createEmailStore(t.db).cleanup(new Date(T0.getTime() - 30 * DAY), {
        pause: () => Promise.resolve(),
      });
      await waitFor(async () => {
        const row = await t.db.sql.get<{ n: unknown }>(
          "select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%delete from email_jobs%'",
        );
        return Number(row?.n) > 0;
      });
      await holder.query("commit");
      expect(await cleanup).toBe(3 * OLD_PER_STATUS - 1);
      expect(await statusCounts(t.db)).toEqual({ pending: 1 });
      expect((await readEmailCounts(t.db.sql, T0)).counts).toMatchObject({ pending: 1, sent: 0, failed: 0 });
    } finally {
      await holder.end();
      await t.cleanup();
    }
  });
});
