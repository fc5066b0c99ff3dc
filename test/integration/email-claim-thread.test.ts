import path from "node:path";
import Sqlite from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.js";
import { type Database, openDatabase } from "../../src/db/open.js";
import { enqueueEmail, enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import { readEmailCounts } from "../../src/services/email/store/counts.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import type { SqliteEmailStore } from "../../src/services/email/store/sqlite.js";
import { ClaimThread, ClaimThreadError } from "../../src/services/email/store/sqlite-claim-thread.js";
import { settleRows } from "../../src/services/email/store/sqlite-queue-sql.js";
import type { EmailStore, Outcome } from "../../src/services/email/store.js";
import { tempDir } from "../helpers/db.js";
import { statusCounts } from "../helpers/email.js";
import { waitFor } from "../helpers/wait.js";

const T0 = new Date("2026-02-01T12:00:00Z");
const order = (limit = 10) => ({
  holder: "p1",
  at: T0.getTime(),
  expires: T0.getTime() + 60_000,
  limit,
  messageIdDomain: "thread.test",
});

describe("email claim thread (SQLite)", () => {
  let file: string;
  let db: Database;
  const threads: ClaimThread[] = [];
  const thread = (idleExitMs?: number) => {
    const made = new ClaimThread({ file, busyTimeoutMs: 2_000, walAutocheckpoint: 1_000 }, idleExitMs);
    threads.push(made);
    return made;
  };
  const enqueue = (subject: string, sql = db.sql) =>
    enqueueEmail(sql, { to: "a@example.com", subject, text: "x" }, { now: T0 });

  beforeEach(async () => {
    file = path.join(tempDir(), "steward.db");
    db = openDatabase({ dialect: "sqlite", file });
    await migrate(db);
  });
  afterEach(async () => {
    for (const made of threads.splice(0)) await made.stop();
    await db.close();
  });

  it("claims and settles on its own connection, after a transaction open on the main one commits", async () => {
    const claims = thread();
    let claimed: Promise<number[]> | undefined;
    await db.sql.tx(async (tx) => {
      await enqueue("in the transaction", tx);
      // The write lock is held across this await: the thread's claim waits for it.
      claimed = claims.claim(order());
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    const ids = await claimed;
    const job = await db.sql.get<{ id: number; subject: string; status: string; lease_holder: string }>(
      "select id, subject, status, lease_holder from email_jobs",
    );
    expect(ids).toEqual([job?.id]);
    expect(job).toMatchObject({ subject: "in the transaction", status: "sending", lease_holder: "p1" });
    const id = String(job?.id);
    const sent = settleRows([{ kind: "sent", id, at: T0, rejected: [], note: null, code: 250, recipients: null }]);
    expect(await claims.settle(sent, "p1")).toBe(1);
    expect(await statusCounts(db)).toEqual({ sent: 1 });
  });

  it("answers a request the database refuses with SQLite's error code, and serves the next", async () => {
    await enqueue("held up");
    const claims = new ClaimThread({ file, busyTimeoutMs: 50, walAutocheckpoint: 1_000 });
    threads.push(claims);
    const other = new Sqlite(file);
    other.exec("BEGIN IMMEDIATE");
    try {
      const refused = await claims.claim(order()).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ClaimThreadError);
      expect((refused as ClaimThreadError).code).toBe("SQLITE_BUSY");
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    expect(await claims.claim(order())).toHaveLength(1);
  });

  it("is lost when it cannot open the file, and rejects what it is asked", async () => {
    const claims = new ClaimThread({
      file: path.join(path.dirname(file), "missing", "x.db"),
      busyTimeoutMs: 0,
      walAutocheckpoint: 1_000,
    });
    threads.push(claims);
    await expect(claims.claim(order())).rejects.toThrow(/database thread stopped/);
    expect(claims.state).toBe("lost");
  });

  it("stops after answering what it was already asked, and then refuses", async () => {
    await enqueue("last");
    const claims = thread();
    const claimed = claims.claim(order());
    const stopped = claims.stop();
    expect(await claimed).toHaveLength(1);
    await stopped;
    expect(claims.state).toBe("stopped");
    await expect(claims.claim(order())).rejects.toThrow(/database thread stopped/);
  });

  it("is starting until its connection is open, then running", async () => {
    const claims = thread();
    expect(claims.state).toBe("starting");
    await waitFor(() => claims.state === "running", { what: "the thread to open its connection" });
    expect(await claims.claim(order())).toEqual([]);
  });

  it("stops by itself once unused for its idle time", async () => {
    const claims = thread(1_000);
    expect(await claims.claim(order())).toEqual([]);
    expect(claims.state).toBe("running");
    await waitFor(() => claims.state === "stopped", { what: "the idle thread to stop" });
  });
});

describe("email store on the claim thread (SQLite)", () => {
  let file: string;
  let db: Database;
  let store: EmailStore;
  beforeEach(async () => {
    file = path.join(tempDir(), "steward.db");
    db = openDatabase({ dialect: "sqlite", file }, { busyTimeoutMs: 2_000 });
    await migrate(db);
    store = createEmailStore(db, { claimThread: true });
  });
  afterEach(async () => {
    await store.close();
    await db.close();
  });

  const claim = (limit = 10) => store.claim({ holder: "p1", now: T0, leaseMs: 60_000, limit, messageIdDomain: "d" });
  const threadState = () => (store as SqliteEmailStore).claimThreadState;
  const enqueueMany = (n: number, subject: string) =>
    enqueueEmails(
      db.sql,
      Array.from({ length: n }, (_, i) => ({ to: "a@example.com", subject: `${subject} ${i}`, text: "x" })),
      { now: T0 },
    );

  it("claims on the main connection while the thread starts, not waiting for it", async () => {
    await enqueueMany(48, "busy");
    // The first claim of a busy spell runs on the main connection; one that found 16 jobs (a
    // busy queue) starts the thread.
    expect(await claim(16)).toHaveLength(16);
    expect(threadState()).toBe("starting");
    // Its boot takes tens of milliseconds, which the next claim does not wait for.
    expect(await claim(16)).toHaveLength(16);
    expect(threadState()).toBe("starting");
    await waitFor(() => threadState() === "running", { what: "the claim thread to run" });
    expect(await claim(16)).toHaveLength(16);
    expect(await statusCounts(db)).toEqual({ sending: 48 });
  });

  it("hands out each claimed job as it is stored, on the main connection and through the thread", async () => {
    // Text that needs escaping, numbers, nulls and the JSON columns must all arrive as they went
    // in, whichever connection claimed them and however the rows cross to this thread.
    const tricky = (i: number) => ({
      to: [`r${i}@example.com`, "Zoë Ünïcode <z@example.com>"],
      cc: i % 2 === 0 ? "c@example.com" : undefined,
      from: '"Quote \\ Back" <f@example.com>',
      subject: `s${i} "quoted" \\ back\u2028line ✉️ 🎉`,
      text: `${i}\u0001\t\n\r </script> \\u0041 ${"long ".repeat(i === 3 ? 20_000 : 1)}`,
      html: i % 3 === 0 ? undefined : `<p title="x">${i}</p>`,
      headers: { "X-Tag": `a"b\\c ü ${i}` },
      priority: i % 2 === 0 ? -5 : 7,
      sendAt: new Date(T0.getTime() - i * 1000),
    });
    await enqueueEmails(
      db.sql,
      Array.from({ length: 32 }, (_, i) => tricky(i)),
      { now: T0 },
    );
    const first = await claim(16);
    await waitFor(() => threadState() === "running", { what: "the claim thread to run" });
    const second = await claim(16);
    expect(first).toHaveLength(16);
    expect(second).toHaveLength(16);
    for (const job of [...first, ...second]) {
      const stored = await store.get(job.id);
      const given = Object.fromEntries(Object.entries(job).filter(([, value]) => value !== undefined));
      expect(stored).toMatchObject(given);
    }
    const long = [...first, ...second].find((j) => j.subject.startsWith("s3 "));
    expect(long?.text?.length).toBeGreaterThan(100_000);
    expect(long?.subject).toBe('s3 "quoted" \\ back\u2028line ✉️ 🎉');
  });

  it("counts the moves its claims and settles make, sent ones by minute, and only the jobs it moved", async () => {
    // The claim and the settle count pending-to-sending and sending-to-sent themselves (sqlite
    // 0017); the triggers count the rest. A batch with sent outcomes in two minutes, failures,
    // retries and a job whose lease another took must leave the counters equal to the table.
    await enqueueMany(64, "counted");
    expect(await claim(16)).toHaveLength(16);
    await waitFor(() => threadState() === "running", { what: "the claim thread to run" });
    const jobs = [...(await claim(16)), ...(await claim(32))];
    expect(jobs).toHaveLength(48);
    const taken = jobs[47] as (typeof jobs)[number];
    await db.sql.run("update email_jobs set lease_holder = 'p2' where id = ?", [taken.id]);
    const minute = (m: number) => new Date(T0.getTime() + m * 60_000);
    const outcomes: Outcome[] = jobs.map((job, i) => {
      const at = minute(i < 20 ? 0 : 1);
      if (i % 10 === 3) return { kind: "failed", id: job.id, at, error: "550", code: 550, recipients: null };
      if (i % 10 === 7)
        return { kind: "retry", id: job.id, at, runAt: minute(5), error: "421", code: 421, recipients: null };
      return { kind: "sent", id: job.id, at, rejected: [], note: null, code: 250, recipients: null };
    });
    expect(await store.settle("p1", outcomes)).toBe(47);
    const truth = { pending: 0, sending: 0, sent: 0, failed: 0, cancelled: 0, ...(await statusCounts(db)) };
    const { counts, perMinute } = await readEmailCounts(db.sql, minute(1));
    expect(counts).toEqual(truth);
    // Held by the first claim, and the job another took, stay sending; four retries are pending.
    expect(counts).toEqual({ pending: 4, sending: 16 + 1, sent: 38, failed: 5, cancelled: 0 });
    expect(perMinute).toEqual([
      { at: new Date("2026-02-01T12:00:00Z"), sent: 16, failed: 2 },
      { at: new Date("2026-02-01T12:01:00Z"), sent: 22, failed: 3 },
    ]);
  });

  it("keeps the event loop free while a claim waits for another process's lock", async () => {
    await enqueueMany(16, "first");
    expect(await claim(16)).toHaveLength(16);
    await waitFor(() => threadState() === "running", { what: "the claim thread to run" });
    await enqueueEmail(db.sql, { to: "a@example.com", subject: "second", text: "x" }, { now: T0 });
    const other = new Sqlite(file);
    other.exec("BEGIN IMMEDIATE");
    // Only a free event loop runs this timer; a claim on the main connection would hold it in
    // SQLite's busy handler until the lock came free, which only the timer does.
    setTimeout(() => other.exec("ROLLBACK"), 100);
    try {
      expect((await claim()).map((j) => j.subject)).toEqual(["second"]);
    } finally {
      other.close();
    }
  });
});
