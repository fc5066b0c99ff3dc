import { afterEach, beforeEach, expect, it } from "vitest";
import { WakeHub } from "../../src/core/wake.js";
import { EmailValidationError, enqueueEmail, enqueueEmailSync, enqueueEmails } from "../../src/index.js";
import { EMAIL_WAKE } from "../../src/services/email/enqueue/insert.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { statusCounts } from "../helpers/email.js";

const message = (n: number) => ({ to: `reader${n}@example.com`, subject: `order ${n}`, text: "thanks" });

describeEachDialect("enqueue with a host app's own database handle", (dialect, makeDb) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await makeDb();
    await t.db.sql.run("create table orders (id integer primary key)");
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const orders = async () => Number((await t.db.sql.get<{ n: unknown }>("select count(*) as n from orders"))?.n);

  if (dialect === "sqlite") {
    it("joins a better-sqlite3 transaction: both rows commit, or neither", async () => {
      if (t.db.driver.dialect !== "sqlite") throw new Error("expected SQLite");
      const db = t.db.driver.db;
      const placeOrder = db.transaction((id: number, fail: boolean) => {
        db.prepare("insert into orders (id) values (?)").run(id);
        const result = enqueueEmailSync(db, message(id));
        if (fail) throw new Error("payment declined");
        return result;
      });
      expect(() => placeOrder(1, true)).toThrow("payment declined");
      expect(await statusCounts(t.db)).toEqual({});
      expect(await orders()).toBe(0);
      const result = placeOrder(2, false);
      expect(result.created).toBe(true);
      expect(await statusCounts(t.db)).toEqual({ pending: 1 });
      expect(await orders()).toBe(1);
      const bulk = await enqueueEmails(db, [message(3), message(4)]);
      expect(bulk.map((r) => r.created)).toEqual([true, true]);
      expect(await statusCounts(t.db)).toEqual({ pending: 3 });
    });
    it("answers a one-job enqueue with its row's id, a taken key with the job holding it, and wakes only for a new job", async () => {
      if (t.db.driver.dialect !== "sqlite") throw new Error("expected SQLite");
      const db = t.db.driver.db;
      const wake = new WakeHub();
      let wakes = 0;
      wake.on(EMAIL_WAKE, () => {
        wakes += 1;
      });
      const stored = (id: string) =>
        db.prepare("select to_addrs as t, idempotency_key as k from email_jobs where id = ?").get(Number(id));
      // Ids that are not 1, 2, 3: a job inserted some other way goes first.
      db.prepare(
        "insert into email_jobs (to_addrs, subject, text_body, message_id) values ('[]', 's', 't', 'm')",
      ).run();
      const plain = enqueueEmailSync(db, message(1), { wake });
      const keyed = enqueueEmailSync(db, { ...message(2), idempotencyKey: "order-2" }, { wake });
      await new Promise((resolve) => setImmediate(resolve));
      expect(wakes).toBe(1);
      const again = enqueueEmailSync(db, { ...message(3), idempotencyKey: "order-2" }, { wake });
      await new Promise((resolve) => setImmediate(resolve));
      expect(wakes).toBe(1);
      // A host app that reads integers as BigInt gets the same string id.
      db.defaultSafeIntegers(true);
      const big = enqueueEmailSync(db, message(4), { wake });
      db.defaultSafeIntegers(false);
      await new Promise((resolve) => setImmediate(resolve));
      expect([plain, keyed, again, big]).toEqual([
        { id: "2", status: "pending", created: true },
        { id: "3", status: "pending", created: true },
        { id: "3", status: "pending", created: false },
        { id: "4", status: "pending", created: true },
      ]);
      expect(wakes).toBe(2);
      expect(stored(plain.id)).toEqual({ t: '["reader1@example.com"]', k: null });
      expect(stored(keyed.id)).toEqual({ t: '["reader2@example.com"]', k: "order-2" });
      expect(stored(big.id)).toEqual({ t: '["reader4@example.com"]', k: null });
      expect(await statusCounts(t.db)).toEqual({ pending: 4 });
    });
  } else {
    it("joins a pg client's own BEGIN: both rows commit, or neither", async () => {
      if (t.db.driver.dialect !== "pg") throw new Error("expected PostgreSQL");
      const client = await t.db.driver.pool.connect();
      try {
        await client.query("begin");
        await client.query("insert into orders (id) values (1)");
        await enqueueEmail(client, message(1));
        await client.query("rollback");
        expect(await statusCounts(t.db)).toEqual({});
        await client.query("begin");
        await client.query("insert into orders (id) values (2)");
        const result = await enqueueEmail(client, message(2));
        await client.query("commit");
        expect(result.created).toBe(true);
      } finally {
        client.release();
      }
      expect(await statusCounts(t.db)).toEqual({ pending: 1 });
      expect(await orders()).toBe(1);
      const bulk = await enqueueEmails(t.db.driver.pool, [message(3), message(4)]);
      expect(bulk.map((r) => r.created)).toEqual([true, true]);
      expect(await statusCounts(t.db)).toEqual({ pending: 3 });
    });
  }

  it("stores a bulk of several INSERTs all or none, even through a pool or Steward's executor", async () => {
    // A real database error in the second INSERT (rows 1,001 on): a trigger refuses one subject.
    if (dialect === "sqlite") {
      await t.db.sql.run(`create trigger refuse_poison before insert on email_jobs when new.subject = 'poison'
        begin select raise(abort, 'poison refused'); end`);
    } else {
      await t.db.sql.run(`create function refuse_poison() returns trigger language plpgsql as $$
        begin if new.subject = 'poison' then raise exception 'poison refused'; end if; return new; end $$`);
      await t.db.sql.run(
        "create trigger refuse_poison before insert on email_jobs for each row execute function refuse_poison()",
      );
    }
    const inputs = Array.from({ length: 1500 }, (_, n) =>
      n === 1200 ? { ...message(n), subject: "poison" } : message(n),
    );
    const handles = t.db.driver.dialect === "pg" ? [t.db.driver.pool, t.db.sql] : [t.db.sql];
    for (const handle of handles) {
      await expect(enqueueEmails(handle, inputs)).rejects.toThrow(/poison refused/);
      expect(await statusCounts(t.db)).toEqual({});
    }
  });

  it("accepts Steward's own executor and rejects bad input without storing", async () => {
    await enqueueEmail(t.db.sql, message(1));
    await expect(enqueueEmail(t.db.sql, { ...message(2), subject: "x\r\nBcc: all@example.com" })).rejects.toThrow(
      EmailValidationError,
    );
    expect(await statusCounts(t.db)).toEqual({ pending: 1 });
  });
});
