import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.js";
import { type Database, openDatabase } from "../../src/db/open.js";
import { foldUncounted, readEmailCounts } from "../../src/services/email/store/counts.js";
import { migrationsBefore, tempDir } from "../helpers/db.js";
import { enqueueMany, statusCounts } from "../helpers/email.js";

/**
 * sqlite 0018: one small insert trigger on email_jobs, which hands the inserts it must count
 * (another status than pending, an id at or below the watermark) and refuse (run_at out of
 * range) to a view's INSTEAD OF trigger. What an insert does must not change with it.
 */

const T0 = new Date("2026-03-01T12:00:30Z");
const MINUTE = new Date("2026-03-01T12:00:00Z");
const ALL_ZERO = { pending: 0, sending: 0, sent: 0, failed: 0, cancelled: 0 };

describe("email_jobs' insert trigger (sqlite 0018)", () => {
  let dir: string;
  let db: Database | undefined;
  beforeEach(() => {
    dir = tempDir("steward-insert-trigger-");
  });
  afterEach(async () => {
    await db?.close();
    db = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A host app's own INSERT of a job in `status`, finished at T0 (the minute counters' instant). */
  const direct = (on: Database, status: string, id?: number) =>
    on.sql.run(
      `insert into email_jobs (${id === undefined ? "" : "id, "}to_addrs, subject, text_body, status, updated_at)
       values (${id === undefined ? "" : "?, "}'["h@example.com"]', 'direct', 'x', ?, ?)`,
      id === undefined ? [status, T0.getTime()] : [id, status, T0.getTime()],
    );
  const read = (on: Database) => readEmailCounts(on.sql, T0);
  const truth = async (on: Database) => ({ ...ALL_ZERO, ...(await statusCounts(on)) });

  it("keeps the counts through the migration, and counts and refuses each insert as before", async () => {
    const { folder, toApply } = migrationsBefore("sqlite", "0018_email_insert_trigger_small", dir);
    db = openDatabase({ dialect: "sqlite", file: path.join(dir, "steward.db") });
    await migrate(db, folder);
    await enqueueMany(db.sql, 12, T0);
    await direct(db, "sent");
    await direct(db, "failed");
    const before = await read(db);
    expect(before.counts).toEqual({ ...ALL_ZERO, pending: 12, sent: 1, failed: 1 });
    expect(before.perMinute).toEqual([{ at: MINUTE, sent: 1, failed: 1 }]);

    expect((await migrate(db)).applied).toBe(toApply);
    expect(await read(db)).toEqual(before);

    // Above the watermark: pending is left to the fold, every other status counted at once.
    await enqueueMany(db.sql, 3, T0);
    for (const status of ["pending", "sending", "sent", "failed", "failed", "cancelled"]) await direct(db, status);
    const after = await read(db);
    expect(after.counts).toEqual(await truth(db));
    expect(after.counts).toEqual({ pending: 16, sending: 1, sent: 2, failed: 3, cancelled: 1 });
    expect(after.perMinute).toEqual([{ at: MINUTE, sent: 2, failed: 3 }]);

    // At or below the watermark (ids given back after deletes): counted at once, pending too.
    await foldUncounted(db.sql);
    await db.sql.run("delete from email_jobs where id in (2, 5)");
    await direct(db, "pending", 2);
    await direct(db, "sent", 5);
    const below = await read(db);
    expect(below.counts).toEqual(await truth(db));
    expect(below.perMinute).toEqual([{ at: MINUTE, sent: 3, failed: 3 }]);

    // run_at out of range: refused, nothing stored, nothing counted.
    const rows = await truth(db);
    await expect(
      db.sql.run(
        "insert into email_jobs (to_addrs, subject, text_body, run_at) values ('[\"a@example.com\"]', 's', 't', ?)",
        [9e18],
      ),
    ).rejects.toThrow("email_jobs.run_at is out of range");
    expect(await truth(db)).toEqual(rows);
    expect((await read(db)).counts).toEqual(rows);
  });
});
