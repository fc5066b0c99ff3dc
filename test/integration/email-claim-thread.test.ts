import path from "node:path";
import Sqlite from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.js";
import { type Database, openDatabase } from "../../src/db/open.js";
import { enqueueEmail } from "../../src/services/email/enqueue/enqueue.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import { ClaimThread, ClaimThreadError } from "../../src/services/email/store/sqlite-claim-thread.js";
import type { EmailStore } from "../../src/services/email/store.js";
import { tempDir } from "../helpers/db.js";
import { statusCounts } from "../helpers/email.js";

const T0 = new Date("2026-02-01T12:00:00Z");
const claimBy = (store: EmailStore, holder: string) =>
  store.claim({ holder, now: T0, leaseMs: 60_000, limit: 10, messageIdDomain: "thread.test" });

describe("email claim thread (SQLite)", () => {
  let dir: string;
  let db: Database;
  let store: EmailStore;
  beforeEach(async () => {
    dir = tempDir();
    // A short busy timeout, so the refusal below comes quickly.
    db = openDatabase({ dialect: "sqlite", file: path.join(dir, "steward.db") }, { busyTimeoutMs: 200 });
    await migrate(db);
    store = createEmailStore(db, { claimThread: true });
  });
  afterEach(async () => {
    await store.close();
    await db.close();
  });

  it("waits for a transaction open on the main connection and then claims what it wrote", async () => {
    let claimed: Promise<unknown> | undefined;
    await db.sql.tx(async (tx) => {
      await enqueueEmail(tx, { to: "a@example.com", subject: "in the transaction", text: "x" }, { now: T0 });
      // The write lock is held here across an await: the thread's claim must wait, not fail.
      claimed = claimBy(store, "p1");
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    const jobs = (await claimed) as Awaited<ReturnType<EmailStore["claim"]>>;
    expect(jobs.map((j) => j.subject)).toEqual(["in the transaction"]);
    expect(
      await store.settle("p1", [
        { kind: "sent", id: jobs[0]?.id as string, at: T0, rejected: [], note: null, code: 250, recipients: null },
      ]),
    ).toBe(1);
    expect(await statusCounts(db)).toEqual({ sent: 1 });
  });

  it("answers a claim the database refuses with SQLite's error, and claims once the lock is free", async () => {
    await enqueueEmail(db.sql, { to: "a@example.com", subject: "held up", text: "x" }, { now: T0 });
    const other = new Sqlite(path.join(dir, "steward.db"));
    other.exec("BEGIN IMMEDIATE");
    try {
      const refused = await claimBy(store, "p1").catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ClaimThreadError);
      expect((refused as ClaimThreadError).code).toBe("SQLITE_BUSY");
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    expect((await claimBy(store, "p1")).map((j) => j.subject)).toEqual(["held up"]);
  });

  it("rejects what it was asked once it has ended, and says it is not alive", async () => {
    const thread = new ClaimThread({
      file: path.join(dir, "missing", "steward.db"),
      busyTimeoutMs: 0,
      walAutocheckpoint: 1000,
    });
    const order = { holder: "p1", at: T0.getTime(), expires: T0.getTime() + 1000, limit: 1, messageIdDomain: "d" };
    await expect(thread.claim(order)).rejects.toThrow(/database thread stopped/);
    expect(thread.alive).toBe(false);
    await thread.stop();
  });

  it("stops after answering what it was already asked", async () => {
    await enqueueEmail(db.sql, { to: "a@example.com", subject: "last", text: "x" }, { now: T0 });
    const thread = new ClaimThread({ file: path.join(dir, "steward.db"), busyTimeoutMs: 200, walAutocheckpoint: 1000 });
    const order = { holder: "p1", at: T0.getTime(), expires: T0.getTime() + 1000, limit: 5, messageIdDomain: "d" };
    const claimed = thread.claim(order);
    const stopped = thread.stop();
    expect(await claimed).toHaveLength(1);
    await stopped;
    expect(thread.alive).toBe(false);
    await expect(thread.claim(order)).rejects.toThrow(/database thread stopped/);
  });
});
