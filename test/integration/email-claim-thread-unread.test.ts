import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { migrate } from "../../src/db/migrate.js";
import { type Database, openDatabase } from "../../src/db/open.js";
import { enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import type { SqliteEmailStore } from "../../src/services/email/store/sqlite.js";
import type { EmailStore } from "../../src/services/email/store.js";
import { tempDir } from "../helpers/db.js";
import { statusCounts } from "../helpers/email.js";
import { waitFor } from "../helpers/wait.js";

// A fake for a failure this test cannot provoke: the main connection's read of rows the claim
// thread has just committed (in WAL mode such a read has nothing to wait for). The thread itself
// runs the compiled module, untouched by the mock.
const failing = vi.hoisted(() => ({ reads: 0 }));
vi.mock("../../src/services/email/store/sqlite-queue-sql.js", async (original) => {
  const real = await original<typeof import("../../src/services/email/store/sqlite-queue-sql.js")>();
  return {
    ...real,
    claimedRowsOn: (...args: Parameters<typeof real.claimedRowsOn>) => {
      if (failing.reads > 0) {
        failing.reads -= 1;
        throw new Error("disk I/O error");
      }
      return real.claimedRowsOn(...args);
    },
  };
});

const T0 = new Date("2026-02-01T12:00:00Z");

describe("a claim the thread committed but this connection could not read (SQLite)", () => {
  let db: Database;
  let store: EmailStore;
  beforeEach(async () => {
    db = openDatabase({ dialect: "sqlite", file: path.join(tempDir(), "steward.db") }, { busyTimeoutMs: 2_000 });
    await migrate(db);
    store = createEmailStore(db, { claimThread: true });
  });
  afterEach(async () => {
    await store.close();
    await db.close();
  });

  const claim = (limit: number) => store.claim({ holder: "p1", now: T0, leaseMs: 60_000, limit, messageIdDomain: "d" });

  it("gives its jobs back to pending with the attempt refunded, and the next claim takes them", async () => {
    await enqueueEmails(
      db.sql,
      Array.from({ length: 48 }, (_, i) => ({ to: "a@example.com", subject: `s${i}`, text: "x" })),
      { now: T0 },
    );
    // The first busy claim runs on the main connection and starts the thread.
    expect(await claim(16)).toHaveLength(16);
    await waitFor(() => (store as SqliteEmailStore).claimThreadState === "running", { what: "the claim thread" });

    failing.reads = 1;
    await expect(claim(16)).rejects.toThrow("disk I/O error");
    expect(await statusCounts(db)).toEqual({ sending: 16, pending: 32 });
    const given = await db.sql.all<{ attempts: number; lease_holder: string | null }>(
      "select attempts, lease_holder from email_jobs where status = 'pending'",
    );
    expect(given.every((j) => j.attempts === 0 && j.lease_holder === null)).toBe(true);

    expect(await claim(32)).toHaveLength(32);
    expect(await statusCounts(db)).toEqual({ sending: 48 });
  });
});
