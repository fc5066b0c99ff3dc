import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/open.js";
import { enqueueEmail, enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import type { SqliteStoreOptions } from "../../src/services/email/store/sqlite.js";
import { type EmailStore, LEASE_EXPIRY_LIMIT } from "../../src/services/email/store.js";
import { type Dialect, describeEachDialect, sqliteTestDb, type TestDb } from "../helpers/db.js";
import { statusCounts } from "../helpers/email.js";

const T0 = new Date("2026-02-01T12:00:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const claimBy = (store: EmailStore, holder: string, limit: number, now = T0) =>
  store.claim({ holder, now, leaseMs: 60_000, limit, messageIdDomain: "claim.test" });

describeEachDialect("email store contract", (dialect, makeDb) => contract(dialect, makeDb, {}));
// The email service's SQLite store: claims and outcomes on the claim thread's own connection.
describe("email store contract [sqlite, claim thread]", () => contract("sqlite", sqliteTestDb, { claimThread: true }));

function contract(dialect: Dialect, makeDb: () => Promise<TestDb>, options: SqliteStoreOptions): void {
  let t: TestDb;
  let store: EmailStore;
  const stores: EmailStore[] = [];
  const storeOn = (db: Database) => {
    const made = createEmailStore(db, options);
    stores.push(made);
    return made;
  };
  beforeEach(async () => {
    t = await makeDb();
    store = storeOn(t.db);
  });
  afterEach(async () => {
    for (const made of stores.splice(0)) await made.close();
    await t.cleanup();
  });

  const enqueue = (subject: string, extra: Record<string, unknown> = {}, now = T0) =>
    enqueueEmail(t.db.sql, { to: "a@example.com", subject, text: "x", ...extra }, { now });

  it("claims due jobs lowest priority first, then oldest, and leaves future ones", async () => {
    await enqueue("late", { priority: 5 });
    await enqueue("future", { sendAt: at(60_000) });
    await enqueue("urgent", { priority: -1 }, at(-1000));
    await enqueue("normal", {}, at(-5000));
    const claimed = await claimBy(store, "p1", 10);
    expect(claimed.map((j) => j.subject)).toEqual(["urgent", "normal", "late"]);
    for (const job of claimed) {
      expect(job.status).toBe("sending");
      expect(job.attempts).toBe(1);
      expect(job.leaseHolder).toBe("p1");
      expect(job.leaseExpiresAt?.getTime()).toBe(T0.getTime() + 60_000);
      // The claim reads back only what a send needs and fills in what it wrote (job.ts, claimedJob):
      // for these jobs (no key, batch or error yet) that is the whole row.
      expect(job).toEqual(await store.get(job.id));
    }
    expect(await claimBy(store, "p1", 10)).toEqual([]);
    expect((await claimBy(store, "p1", 10, at(60_000))).map((j) => j.subject)).toEqual(["future"]);
  });

  it("hands each of 300 jobs to exactly one of three racing claimers", async () => {
    await enqueueEmails(
      t.db.sql,
      Array.from({ length: 300 }, (_, i) => ({ to: "a@example.com", subject: `s${i}`, text: "x" })),
      { now: T0 },
    );
    const handles: Database[] = [t.db, await t.another(), await t.another()];
    const claimed = await Promise.all(
      handles.map(async (h, i) => {
        const s = storeOn(h);
        const mine: string[] = [];
        for (;;) {
          const jobs = await claimBy(s, `p${i}`, 7);
          if (jobs.length === 0) return mine;
          mine.push(...jobs.map((j) => j.id));
        }
      }),
    );
    const all = claimed.flat();
    expect(all).toHaveLength(300);
    expect(new Set(all).size).toBe(300);
  });

  it("gives a row a host app inserted by hand a Message-ID at its first claim", async () => {
    const toAddrs = JSON.stringify(["direct@example.com"]);
    await t.db.sql.run("insert into email_jobs (to_addrs, subject, text_body) values (?, ?, ?)", [
      toAddrs,
      "by hand",
      "body",
    ]);
    // Defaults stamp the row with the database's clock; claim a little later than that.
    const [job] = await claimBy(store, "p1", 5, new Date(Date.now() + 1000));
    expect(job?.id).toMatch(/^[1-9][0-9]*$/);
    expect(job?.to).toEqual(["direct@example.com"]);
    // The id, and a random part: ids start again in each database, a Message-ID must not.
    expect(job?.messageId).toMatch(new RegExp(`^<${job?.id}\\.[0-9a-f]{16}@claim\\.test>$`));
  });

  it("records outcomes only for jobs the caller still holds", async () => {
    const a = await enqueue("a");
    const b = await enqueue("b");
    await claimBy(store, "p1", 2);
    const lost = await store.settle("someone-else", [
      { kind: "failed", id: a.id, at: T0, error: "x", code: null, recipients: null },
    ]);
    expect(lost).toBe(0);
    const changed = await store.settle("p1", [
      {
        kind: "sent",
        id: a.id,
        at: at(10),
        rejected: ["x@example.com"],
        note: "refused: x",
        code: 550,
        recipients: null,
      },
      { kind: "retry", id: b.id, at: at(10), runAt: at(1010), error: "451 later", code: 451, recipients: null },
    ]);
    expect(changed).toBe(2);
    const sent = await store.get(a.id);
    expect(sent).toMatchObject({ status: "sent", rejected: ["x@example.com"], lastSmtpCode: 550, leaseHolder: null });
    expect(sent?.sentAt?.getTime()).toBe(at(10).getTime());
    const retry = await store.get(b.id);
    expect(retry).toMatchObject({ status: "pending", lastError: "451 later", lastSmtpCode: 451, attempts: 1 });
    expect(retry?.runAt.getTime()).toBe(at(1010).getTime());
  });

  it("records a batch of outcomes longer than one statement takes, each job its own", async () => {
    // SQLite settles at most 512 outcomes a statement, padded up to a few sizes (sqlite-queue-sql.ts).
    const jobs = await enqueueEmails(
      t.db.sql,
      Array.from({ length: 600 }, (_, n) => ({ to: "a@example.com", subject: `n${n}`, text: "x" })),
      { now: T0 },
    );
    expect(await claimBy(store, "p1", 600)).toHaveLength(600);
    const changed = await store.settle(
      "p1",
      jobs.map(({ id }, n) =>
        n % 2
          ? { kind: "sent" as const, id, at: at(n), rejected: [], note: null, code: 250, recipients: null }
          : {
              kind: "retry" as const,
              id,
              at: at(n),
              runAt: at(5000 + n),
              error: `451 n${n}`,
              code: 451,
              recipients: null,
            },
      ),
    );
    expect(changed).toBe(600);
    expect(await statusCounts(t.db)).toEqual({ sent: 300, pending: 300 });
    for (const n of [0, 1, 510, 511, 512, 513, 598, 599]) {
      const job = await store.get(jobs[n]?.id as string);
      expect(job?.subject, `job ${n}`).toBe(`n${n}`);
      expect(job?.updatedAt.getTime(), `job ${n}`).toBe(at(n).getTime());
      if (n % 2) expect(job?.status).toBe("sent");
      else
        expect([job?.status, job?.lastError, job?.runAt.getTime()]).toEqual([
          "pending",
          `451 n${n}`,
          at(5000 + n).getTime(),
        ]);
    }
  });

  it("gives a requeued job back its attempt and its place in the order, counting transport failures", async () => {
    const first = await enqueue("first", {}, at(-2000));
    const second = await enqueue("second", {}, at(-1000));
    await claimBy(store, "p1", 2);
    expect(
      await store.settle("p1", [
        { kind: "requeue", id: first.id, at: at(5), error: "connect ECONNREFUSED", code: null, transportFailure: true },
        { kind: "requeue", id: second.id, at: at(5), error: null, code: null, transportFailure: false },
      ]),
    ).toBe(2);
    expect(await store.get(first.id)).toMatchObject({
      status: "pending",
      attempts: 0,
      transportFailures: 1,
      lastError: "connect ECONNREFUSED",
      leaseHolder: null,
      runAt: at(-2000),
    });
    expect(await store.get(second.id)).toMatchObject({ status: "pending", attempts: 0, transportFailures: 0 });
    expect((await claimBy(store, "p2", 2, at(10))).map((j) => j.subject)).toEqual(["first", "second"]);
  });

  it("stores per-recipient state, and `retry` forgets the refused recipients but not the delivered ones", async () => {
    const a = await enqueue("partial", { to: ["ok@example.com", "gone@example.com"] });
    await claimBy(store, "p1", 1);
    const recipients = {
      delivered: ["ok@example.com"],
      pending: [],
      refused: [{ address: "gone@example.com", code: 550, reply: "550 no such user" }],
    };
    await store.settle("p1", [{ kind: "failed", id: a.id, at: at(1), error: "refused", code: 550, recipients }]);
    expect((await store.get(a.id))?.recipients).toEqual(recipients);
    expect(await store.retryFailed({ max: 10, id: a.id }, at(2))).toEqual([a.id]);
    expect((await store.get(a.id))?.recipients).toEqual({ delivered: ["ok@example.com"], pending: [], refused: [] });
  });

  it("takes back jobs whose lease expired, even on their last attempt, without counting the cut-short claim", async () => {
    const fresh = await enqueue("fresh", {}, at(-3));
    const last = await enqueue("last", {}, at(-2));
    const held = await enqueue("held", {}, at(-1));
    await claimBy(store, "dead", 2);
    // On its last attempt when its sender died: it was claimed, perhaps never sent, and must not be failed for our crash.
    await t.db.sql.run("update email_jobs set attempts = 5, max_attempts = 5 where id = ?", [last.id]);
    await claimBy(store, "alive", 1, at(30_000));
    expect(await store.reapExpired(at(59_999))).toEqual({ requeued: 0, failed: 0 });
    expect(await store.reapExpired(at(60_000))).toEqual({ requeued: 2, failed: 0 });
    expect(await store.get(fresh.id)).toMatchObject({ status: "pending", attempts: 0, leaseHolder: null });
    expect(await store.get(last.id)).toMatchObject({ status: "pending", attempts: 4, leaseHolder: null });
    expect((await store.get(last.id))?.lastError).toMatch(/^lease expired/);
    expect((await store.get(held.id))?.status).toBe("sending");
    const again = await claimBy(store, "new", 5, at(60_000));
    expect(again.map((j) => j.id)).toEqual([fresh.id, last.id]);
    expect(again[0]?.attempts).toBe(1);
    expect(again[1]?.attempts).toBe(5);
    expect(again[0]?.messageId).toBe((await store.get(fresh.id))?.messageId);
  });

  it("fails a job whose senders died holding it LEASE_EXPIRY_LIMIT times, whatever its max attempts", async () => {
    const poison = await enqueue("poison");
    // One attempt allowed: a crash must still not fail it at once (it may never have been sent).
    await t.db.sql.run("update email_jobs set max_attempts = 1 where id = ?", [poison.id]);
    let now = 0;
    for (let crash = 1; crash <= LEASE_EXPIRY_LIMIT; crash += 1) {
      const [claimed] = await claimBy(store, `dead${crash}`, 1, at(now));
      expect(claimed?.id).toBe(poison.id);
      now += 60_000;
      const reaped = await store.reapExpired(at(now));
      expect(reaped).toEqual(crash < LEASE_EXPIRY_LIMIT ? { requeued: 1, failed: 0 } : { requeued: 0, failed: 1 });
    }
    const failed = await store.get(poison.id);
    expect(failed).toMatchObject({ status: "failed", attempts: 0 });
    expect(failed?.lastError).toBe(
      `its sender stopped ${LEASE_EXPIRY_LIMIT} times while holding it (the message may be what stops it)`,
    );
    // `email retry` starts it afresh.
    expect(await store.retryFailed({ max: 10 }, at(now))).toEqual([poison.id]);
    await claimBy(store, "after-retry", 1, at(now));
    expect(await store.reapExpired(at(now + 60_000))).toEqual({ requeued: 1, failed: 0 });
  });

  it("renews and releases the caller's jobs, refunding attempts that never began", async () => {
    const a = await enqueue("a");
    const b = await enqueue("b");
    await claimBy(store, "p1", 2);
    expect(await store.renew("p1", at(120_000), at(40_000))).toBe(2);
    expect((await store.get(a.id))?.leaseExpiresAt?.getTime()).toBe(at(120_000).getTime());
    expect(await store.release("p1", at(50_000), [b.id])).toBe(2);
    expect(await store.get(a.id)).toMatchObject({ status: "pending", attempts: 1, leaseHolder: null });
    expect(await store.get(b.id)).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("re-queues failed jobs with attempts reset, by count or by id", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await enqueue(`f${i}`)).id);
    await claimBy(store, "p1", 3);
    await store.settle(
      "p1",
      ids.map((id, i) => ({ kind: "failed" as const, id, at: at(i), error: "550", code: 550, recipients: null })),
    );
    expect((await store.listFailed(10)).map((j) => j.id)).toEqual([...ids].reverse());
    expect(await store.retryFailed({ max: 2 }, at(100))).toHaveLength(2);
    expect(await store.get(ids[0] as string)).toMatchObject({ status: "pending", attempts: 0 });
    expect(await store.retryFailed({ max: 10, id: ids[2] as string }, at(100))).toEqual([ids[2]]);
    expect(await store.retryFailed({ max: 10, id: "no-such-id" }, at(100))).toEqual([]);
    expect(await statusCounts(t.db)).toEqual({ pending: 3 });
  });

  it("cancels only pending jobs, and cleans up only old finished ones", async () => {
    const a = await enqueue("a");
    const b = await enqueue("b");
    expect(await store.cancel(a.id, at(1))).toBe(true);
    expect(await store.cancel(a.id, at(2))).toBe(false);
    await claimBy(store, "p1", 1);
    expect(await store.cancel(b.id, at(3))).toBe(false);
    await store.settle("p1", [
      { kind: "sent", id: b.id, at: at(4), rejected: [], note: null, code: null, recipients: null },
    ]);
    await enqueue("c");
    expect(await store.cleanup(at(2))).toBe(1);
    expect(await store.cleanup(at(5))).toBe(1);
    expect(await statusCounts(t.db)).toEqual({ pending: 1 });
  });

  it("counts jobs per status, the oldest due one's age, and the last minute's outcomes", async () => {
    await enqueue("old", {}, at(-30_000));
    const s = await enqueue("s");
    await enqueue("future", { sendAt: at(3_600_000) });
    await t.db.sql.run("update email_jobs set status = 'sent', updated_at = ? where id = ?", [at(-1000), s.id]);
    const stats = await store.stats(T0);
    expect(stats.counts).toEqual({ pending: 2, sending: 0, sent: 1, failed: 0, cancelled: 0 });
    expect(stats.oldestPendingAgeSeconds).toBe(30);
    expect(stats.sentLastMinute).toBe(1);
    expect(stats.failedLastMinute).toBe(0);
    expect((await store.stats(at(120_000))).sentLastMinute).toBe(0);
  });

  it("stores one job per idempotency key, also within one bulk insert", async () => {
    const first = await enqueue("first", { idempotencyKey: "order-1" });
    const again = await enqueue("again", { idempotencyKey: "order-1" });
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, status: "pending", created: false });
    const bulk = await enqueueEmails(
      t.db.sql,
      ["order-1", "order-2", "order-2", undefined].map((key, i) => ({
        to: "a@example.com",
        subject: `b${i}`,
        text: "x",
        idempotencyKey: key,
      })),
      { now: T0 },
    );
    expect(bulk.map((r) => r.created)).toEqual([false, true, false, true]);
    expect(bulk[0]?.id).toBe(first.id);
    expect(bulk[2]?.id).toBe(bulk[1]?.id);
    expect((await statusCounts(t.db)).pending).toBe(3);
  });

  it("stores nothing of a bulk enqueue with one bad input", async () => {
    const inputs = [
      { to: "a@example.com", subject: "ok", text: "x" },
      { to: "not an address", subject: "bad", text: "x" },
    ];
    await expect(enqueueEmails(t.db.sql, inputs, { now: T0 })).rejects.toThrow(/to: "not an address"/);
    expect(await statusCounts(t.db)).toEqual({});
  });

  it(`commits or rolls back with the caller's transaction (${dialect})`, async () => {
    await t.db.sql.run("create table orders (id text primary key)");
    await expect(
      t.db.sql.tx(async (tx) => {
        await tx.run("insert into orders (id) values ('o1')");
        await enqueueEmail(tx, { to: "a@example.com", subject: "order o1", text: "x" }, { now: T0 });
        throw new Error("payment failed");
      }),
    ).rejects.toThrow("payment failed");
    expect(await statusCounts(t.db)).toEqual({});
    await t.db.sql.tx(async (tx) => {
      await tx.run("insert into orders (id) values ('o2')");
      await enqueueEmail(tx, { to: "a@example.com", subject: "order o2", text: "x" }, { now: T0 });
    });
    expect(await statusCounts(t.db)).toEqual({ pending: 1 });
  });
}
