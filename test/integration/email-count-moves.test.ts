import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.js";
import { type Database, openDatabase } from "../../src/db/open.js";
import { readEmailCounts, recountEmailCounters } from "../../src/services/email/store/counts.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import { migrationsBefore, tempDir } from "../helpers/db.js";
import { enqueueMany, statusCounts } from "../helpers/email.js";

/**
 * sqlite 0017: the claim and the settle count their own moves (pending to sending with a lease,
 * sending to sent giving it up), once a statement, and the triggers count every other change.
 */

const T0 = new Date("2026-03-01T12:00:30Z");
const ALL_ZERO = { pending: 0, sending: 0, sent: 0, failed: 0, cancelled: 0 };

describe("email counters of the claim's and the settle's moves (sqlite 0017)", () => {
  let dir: string;
  let db: Database | undefined;
  beforeEach(() => {
    dir = tempDir("steward-count-moves-");
  });
  afterEach(async () => {
    await db?.close();
    db = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const counts = async (on: Database) => (await readEmailCounts(on.sql, T0)).counts;
  const truth = async (on: Database) => ({ ...ALL_ZERO, ...(await statusCounts(on)) });

  it("keeps the counts through the migration, then counts the store's moves and a host app's alike", async () => {
    const { folder, toApply } = migrationsBefore("sqlite", "0017_email_claim_settle_count_moves", dir);
    db = openDatabase({ dialect: "sqlite", file: path.join(dir, "steward.db") });
    await migrate(db, folder);
    const jobs = await enqueueMany(db.sql, 30, T0);
    // Moves made before the migration, which the old triggers counted.
    await db.sql.run(
      "update email_jobs set status = 'sending', lease_holder = 'old', lease_expires_at = 1 where id <= 4",
    );
    await db.sql.run("update email_jobs set status = 'sent', lease_holder = null where id <= 2");
    await db.sql.run("update email_jobs set status = 'failed' where id = 5");
    // The table, not a read: this code reads the counters as sqlite 0019 keeps them.
    const before = await truth(db);
    expect(before).toEqual({ pending: 25, sending: 2, sent: 2, failed: 1, cancelled: 0 });

    expect((await migrate(db)).applied).toBe(toApply);
    expect(await counts(db)).toEqual(before);

    const store = createEmailStore(db);
    const claimed = await store.claim({ holder: "p1", now: T0, leaseMs: 60_000, limit: 10, messageIdDomain: "x" });
    expect(claimed).toHaveLength(10);
    expect(await counts(db)).toEqual({ ...before, pending: 15, sending: 12 });
    await store.settle(
      "p1",
      claimed
        .slice(0, 6)
        .map((j) => ({ kind: "sent", id: j.id, at: T0, rejected: [], note: null, code: 250, recipients: null })),
    );
    expect(await counts(db)).toEqual({ ...before, pending: 15, sending: 6, sent: 8 });
    // A host app's or an operator's status-only UPDATEs, even of those two moves, the triggers count.
    await db.sql.run("update email_jobs set status = 'sending' where id = ?", [jobs[29]?.id]);
    await db.sql.run("update email_jobs set status = 'sent' where id = ?", [claimed[6]?.id]);
    expect(await counts(db)).toEqual(await truth(db));
    expect(await counts(db)).toEqual({ ...before, pending: 14, sending: 6, sent: 9 });
    const { perMinute } = await readEmailCounts(db.sql, T0);
    expect(perMinute).toEqual([{ at: new Date("2026-03-01T12:00:00Z"), sent: 2 + 6 + 1, failed: 1 }]);

    // The one move passed over: someone else's that takes a lease as the claim does. A recount mends it.
    await db.sql.run("update email_jobs set status = 'sending', lease_holder = 'mine' where id = ?", [jobs[28]?.id]);
    expect(await counts(db)).not.toEqual(await truth(db));
    await recountEmailCounters(db.sql, T0);
    expect(await counts(db)).toEqual(await truth(db));
  });
});
