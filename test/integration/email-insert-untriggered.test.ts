import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.js";
import { type Database, openDatabase } from "../../src/db/open.js";
import type { Sql } from "../../src/db/sql.js";
import { foldUncounted, readEmailCounts } from "../../src/services/email/store/counts.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import { migrationsBefore, sqliteTestDb, type TestDb, tempDir } from "../helpers/db.js";
import { enqueueMany, statusCounts } from "../helpers/email.js";

/**
 * sqlite 0019: email_jobs has no insert trigger. The jobs above the watermark are counted by the
 * status they have when read or folded; nothing done to them is counted as it happens; the
 * watermark never stands above the newest job; run_at's range is a CHECK.
 */

const T0 = new Date("2026-03-01T12:00:30Z");
const MINUTE = new Date("2026-03-01T12:00:00Z");
const ALL_ZERO = { pending: 0, sending: 0, sent: 0, failed: 0, cancelled: 0 };
const WATERMARK = "email_jobs.counted_through";

/** A host app's own INSERT of a job in `status`, finished at T0 (the minute counters' instant). */
const direct = (sql: Sql, status: string) =>
  sql.run(
    `insert into email_jobs (to_addrs, subject, text_body, status, updated_at) values ('["h@example.com"]', 'direct', 'x', ?, ?)`,
    [status, T0.getTime()],
  );
const truth = async (db: Database) => ({ ...ALL_ZERO, ...(await statusCounts(db)) });
const watermark = async (sql: Sql) =>
  Number((await sql.get<{ n: number }>("select n from counters where name = ? and shard = 0", [WATERMARK]))?.n);
/** The counters alone, as a fold leaves them: what the status and minute rows hold. */
async function counterRows(sql: Sql): Promise<Record<string, number>> {
  const rows = await sql.all<{ name: string; n: number }>(
    "select name, n from counters where name like 'email.%' and n <> 0 order by name",
  );
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
}

describe("migration sqlite 0019", () => {
  let dir: string;
  let db: Database | undefined;
  beforeEach(() => {
    dir = tempDir("steward-untriggered-");
  });
  afterEach(async () => {
    await db?.close();
    db = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps every job and the counts, moves the watermark to the newest job and leaves no insert trigger", async () => {
    const { folder, toApply } = migrationsBefore("sqlite", "0019_email_insert_untriggered", dir);
    db = openDatabase({ dialect: "sqlite", file: path.join(dir, "steward.db") });
    await migrate(db, folder);
    // Above the old watermark: pending ones left to the old fold, and moves the old triggers counted.
    await enqueueMany(db.sql, 12, T0);
    await direct(db.sql, "sent");
    await direct(db.sql, "failed");
    await db.sql.run("update email_jobs set status = 'cancelled' where id in (1, 2)");
    await db.sql.run("delete from email_jobs where id = 3");
    const before = await truth(db);
    expect(before).toEqual({ ...ALL_ZERO, pending: 9, sent: 1, failed: 1, cancelled: 2 });
    const jobs = await db.sql.all("select * from email_jobs order by id");

    expect((await migrate(db)).applied).toBe(toApply);
    expect(await db.sql.all("select * from email_jobs order by id")).toEqual(jobs);
    expect(await watermark(db.sql)).toBe(14);
    const read = await readEmailCounts(db.sql, T0);
    expect(read.counts).toEqual(before);
    expect(read.perMinute).toEqual([{ at: MINUTE, sent: 1, failed: 1 }]);
    const triggers = await db.sql.all<{ name: string }>(
      "select name from sqlite_master where type = 'trigger' and tbl_name = 'email_jobs' order by name",
    );
    expect(triggers.map((r) => r.name)).toEqual([
      "email_jobs_counted_delete",
      "email_jobs_counted_update",
      "email_jobs_counted_update_minute",
      "email_jobs_id_fixed",
    ]);
  });
});

describe("email_jobs without an insert trigger (sqlite 0019)", () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await sqliteTestDb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const expectExact = async () => {
    const read = await readEmailCounts(t.db.sql, T0);
    expect(read.counts).toEqual(await truth(t.db));
    return read;
  };

  it("counts an insert in any status, and what happens to it before the fold, by the status it has then", async () => {
    const store = createEmailStore(t.db);
    await enqueueMany(t.db.sql, 5, T0);
    for (const status of ["pending", "sending", "sent", "failed", "failed", "cancelled"])
      await direct(t.db.sql, status);
    expect(await counterRows(t.db.sql)).toEqual({});
    let read = await expectExact();
    expect(read.counts).toEqual({ pending: 6, sending: 1, sent: 1, failed: 2, cancelled: 1 });
    expect(read.perMinute).toEqual([{ at: MINUTE, sent: 1, failed: 2 }]);

    // Claimed, settled, failed and deleted above the watermark: none of it counted as it happens.
    const claimed = await store.claim({ holder: "p", now: T0, leaseMs: 60_000, limit: 4, messageIdDomain: "x" });
    expect(claimed).toHaveLength(4);
    await store.settle("p", [
      { kind: "sent", id: claimed[0]?.id as string, at: T0, rejected: [], note: null, code: null, recipients: null },
      { kind: "failed", id: claimed[1]?.id as string, at: T0, error: "550", code: 550, recipients: null },
    ]);
    await t.db.sql.run("delete from email_jobs where status = 'cancelled'");
    expect(await counterRows(t.db.sql)).toEqual({});
    read = await expectExact();
    expect(read.counts).toEqual({ pending: 2, sending: 3, sent: 2, failed: 3, cancelled: 0 });
    expect(read.perMinute).toEqual([{ at: MINUTE, sent: 2, failed: 3 }]);

    // The fold puts the same into the counters, and a read then adds nothing.
    expect(await foldUncounted(t.db.sql)).toBe(10);
    expect(await watermark(t.db.sql)).toBe(10);
    const minute = MINUTE.getTime() / 1000;
    expect(await counterRows(t.db.sql)).toEqual({
      "email.pending": 2,
      "email.sending": 3,
      "email.sent": 2,
      "email.failed": 3,
      [`email.sent@${minute}`]: 2,
      [`email.failed@${minute}`]: 3,
    });
    expect(await readEmailCounts(t.db.sql, T0)).toEqual(read);
  });

  it("given the time, folds no minute older than the hour the counters keep", async () => {
    await direct(t.db.sql, "sent");
    await t.db.sql.run(
      `insert into email_jobs (to_addrs, subject, text_body, status, updated_at) values ('["h@example.com"]', 'old', 'x', 'failed', ?)`,
      [T0.getTime() - 2 * 3_600_000],
    );
    expect(await foldUncounted(t.db.sql, T0)).toBe(2);
    expect(await counterRows(t.db.sql)).toEqual({
      "email.sent": 1,
      "email.failed": 1,
      [`email.sent@${MINUTE.getTime() / 1000}`]: 1,
    });
    await expectExact();
  });

  it("counts a claim and a settle that straddle the watermark on its counted side only", async () => {
    const store = createEmailStore(t.db);
    await enqueueMany(t.db.sql, 10, T0);
    await foldUncounted(t.db.sql);
    await enqueueMany(t.db.sql, 10, T0);
    const claimed = await store.claim({ holder: "p", now: T0, leaseMs: 60_000, limit: 20, messageIdDomain: "x" });
    expect(claimed).toHaveLength(20);
    expect(await counterRows(t.db.sql)).toEqual({ "email.sending": 10 });
    await expectExact();
    await store.settle(
      "p",
      claimed.map((j) => ({ kind: "sent", id: j.id, at: T0, rejected: [], note: null, code: null, recipients: null })),
    );
    const minute = MINUTE.getTime() / 1000;
    expect(await counterRows(t.db.sql)).toEqual({ "email.sent": 10, [`email.sent@${minute}`]: 10 });
    expect((await expectExact()).perMinute).toEqual([{ at: MINUTE, sent: 20, failed: 0 }]);
    await foldUncounted(t.db.sql);
    expect(await counterRows(t.db.sql)).toEqual({ "email.sent": 20, [`email.sent@${minute}`]: 20 });
  });

  it("brings the watermark down with the newest counted job, so the next id is above it", async () => {
    await enqueueMany(t.db.sql, 5, T0);
    await foldUncounted(t.db.sql);
    expect(await watermark(t.db.sql)).toBe(5);
    await t.db.sql.run("delete from email_jobs where id in (4, 5)");
    expect(await watermark(t.db.sql)).toBe(3);
    const [again] = await enqueueMany(t.db.sql, 1, T0);
    expect(again?.id).toBe("4");
    await expectExact();
    await foldUncounted(t.db.sql);
    // Everything deleted: SQLite starts again at 1, and so does what is counted.
    await t.db.sql.run("delete from email_jobs");
    expect(await watermark(t.db.sql)).toBe(0);
    await enqueueMany(t.db.sql, 2, T0);
    expect((await expectExact()).counts).toEqual({ ...ALL_ZERO, pending: 2 });
    // A job below the watermark deleted leaves it where it is.
    await foldUncounted(t.db.sql);
    await t.db.sql.run("delete from email_jobs where id = 1");
    expect(await watermark(t.db.sql)).toBe(2);
    expect((await expectExact()).counts).toEqual({ ...ALL_ZERO, pending: 1 });
  });

  it("refuses a run_at out of range and a change of id, and keeps nothing of either", async () => {
    await enqueueMany(t.db.sql, 1, T0);
    await foldUncounted(t.db.sql);
    const rows = await t.db.sql.all("select * from email_jobs");
    await expect(
      t.db.sql.run(
        "insert into email_jobs (to_addrs, subject, text_body, run_at) values ('[\"a@example.com\"]', 's', 't', ?)",
        [9e18],
      ),
    ).rejects.toThrow("CHECK constraint failed: run_at is out of range");
    await expect(t.db.sql.run("update email_jobs set run_at = ? where id = 1", [-9e15])).rejects.toThrow(
      "run_at is out of range",
    );
    await expect(t.db.sql.run("update email_jobs set id = 7 where id = 1")).rejects.toThrow(
      "email_jobs.id cannot change",
    );
    // A text run_at passes, as it did before the CHECK: it is not an instant out of range.
    await t.db.sql.run("update email_jobs set run_at = run_at where id = 1");
    expect(await t.db.sql.all("select * from email_jobs")).toEqual(rows);
    await expectExact();
  });
});
