import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CounterStore } from "../../src/db/coordination/counters.js";
import { migrate } from "../../src/db/migrate.js";
import { openDatabase } from "../../src/db/open.js";
import type { Sql } from "../../src/db/sql.js";
import { enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import {
  EMAIL_COUNTERS,
  FOLD_ROWS,
  foldUncounted,
  readStatusCounts,
  recountEmailCounters,
} from "../../src/services/email/store/counts.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import { EMAIL_STATUSES } from "../../src/services/email/store/job.js";
import type { EmailStore } from "../../src/services/email/store.js";
import { seeded } from "../fakes/seeded-random.js";
import { CountingSql } from "../helpers/counting-sql.js";
import { migrationsBefore, sqliteTestDb, type TestDb, tempDir } from "../helpers/db.js";
import { emailApp, enqueueMany, statusCounts } from "../helpers/email.js";
import { waitFor } from "../helpers/wait.js";

/**
 * SQLite's status counters hold the jobs up to a watermark id (sqlite 0015): an enqueue writes
 * no counter, a read adds the jobs above the watermark, and a fold moves them in. Whatever
 * happens to the jobs in between, the counts must equal the table's.
 */
const T0 = new Date("2026-02-01T12:00:30Z");
const ZERO = Object.fromEntries(EMAIL_STATUSES.map((s) => [s, 0]));
const WATERMARK = "email_jobs.counted_through";

async function counterRows(sql: Sql): Promise<Record<string, number>> {
  const rows = await sql.all<{ name: string; n: number }>(
    "select name, n from counters where name like 'email.%' or name = ? order by name",
    [WATERMARK],
  );
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
}

async function watermark(sql: Sql): Promise<number | undefined> {
  const row = await sql.get<{ n: number }>("select n from counters where name = ? and shard = 0", [WATERMARK]);
  return row === undefined ? undefined : Number(row.n);
}

describe("email counters above the watermark (sqlite)", () => {
  let t: TestDb;
  let store: EmailStore;
  beforeEach(async () => {
    t = await sqliteTestDb();
    store = createEmailStore(t.db);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const enqueue = (n: number) => enqueueMany(t.db.sql, n, T0);
  const truth = async () => ({ ...ZERO, ...(await statusCounts(t.db)) });

  it("an enqueue writes no counter, the read counts it, and a fold moves it into the counters", async () => {
    const before = await counterRows(t.db.sql);
    await enqueue(3);
    expect(await counterRows(t.db.sql)).toEqual(before);
    expect(await readStatusCounts(t.db.sql)).toEqual({ ...ZERO, pending: 3 });

    expect(await foldUncounted(t.db.sql)).toBe(3);
    expect(await watermark(t.db.sql)).toBe(3);
    expect((await counterRows(t.db.sql))["email.pending"]).toBe(3);
    expect(await readStatusCounts(t.db.sql)).toEqual({ ...ZERO, pending: 3 });
    expect(await foldUncounted(t.db.sql)).toBe(0);
    // Reading never folds (it must not write, nor wait for a writer): the email service's status
    // refresh does, below.
    await enqueue(2);
    expect((await store.stats(T0)).counts).toEqual({ ...ZERO, pending: 5 });
    expect(await watermark(t.db.sql)).toBe(3);
  });

  it("is folded by the email service's status refresh", async () => {
    await enqueueEmails(
      t.db.sql,
      [1, 2, 3].map((i) => ({
        to: "a@example.com",
        subject: `later ${i}`,
        text: "x",
        sendAt: new Date(Date.now() + 3_600_000),
      })),
    );
    expect(await watermark(t.db.sql)).toBe(0);
    const host = emailApp({ databaseUrl: t.url });
    await host.app.start();
    try {
      await waitFor(async () => (await watermark(t.db.sql)) === 3, { timeoutMs: 10_000, what: "the fold" });
      expect((await counterRows(t.db.sql))["email.pending"]).toBe(3);
    } finally {
      await host.app.stop();
    }
  });

  it("folds a large backlog in transactions of FOLD_ROWS jobs", async () => {
    await enqueue(45_000);
    const counting = new CountingSql(t.db.sql);
    expect(await foldUncounted(counting)).toBe(45_000);
    const moves = counting.log.statements.filter((s) => s.startsWith("update counters set n = ?"));
    expect(moves).toHaveLength(Math.ceil(45_000 / FOLD_ROWS));
    expect(await watermark(t.db.sql)).toBe(45_000);
    expect((await counterRows(t.db.sql))["email.pending"]).toBe(45_000);
  });

  it("stays exact through every kind of change, on either side of the watermark, folded or not", async () => {
    const draw = seeded(20261202);
    const next = (n: number) => Math.floor(draw() * n);
    const newest = async () =>
      Number((await t.db.sql.get<{ m: number }>("select max(id) as m from email_jobs"))?.m ?? 0);
    const ids = async () => (await t.db.sql.all<{ id: number }>("select id from email_jobs")).map((r) => Number(r.id));
    const pick = async () => {
      const all = await ids();
      return all.length === 0 ? undefined : all[next(all.length)];
    };
    const statuses = ["pending", "sending", "sent", "failed", "cancelled"];
    const done: string[] = [];
    for (let step = 0; step < 250; step += 1) {
      const op = next(9);
      done.push(String(op));
      if (op === 0) await enqueue(1 + next(40));
      else if (op === 1) {
        // A host app's own insert, in any status.
        await t.db.sql.run(
          "insert into email_jobs (to_addrs, subject, text_body, status) values (?, 'direct', 'x', ?)",
          ['["h@example.com"]', statuses[next(5)]],
        );
      } else if (op === 2) {
        // A host app's insert that names an id above the newest (one at or below the watermark
        // goes uncounted until a recount: sqlite 0019, docs/host-apps.md).
        await t.db.sql.run(
          "insert into email_jobs (id, to_addrs, subject, text_body, status) values (?, ?, 'named', 'x', ?)",
          [(await newest()) + 1 + next(3), '["h@example.com"]', statuses[next(5)]],
        );
      } else if (op === 3) {
        const claimed = await store.claim({
          holder: "p",
          now: T0,
          leaseMs: 60_000,
          limit: 1 + next(20),
          messageIdDomain: "x",
        });
        const settled = claimed.filter(() => next(3) > 0);
        await store.settle(
          "p",
          settled.map((j) =>
            next(2) === 0
              ? { kind: "sent", id: j.id, at: T0, rejected: [], note: null, code: null, recipients: null }
              : { kind: "failed", id: j.id, at: T0, error: "550", code: 550, recipients: null },
          ),
        );
      } else if (op === 4) {
        const id = await pick();
        if (id !== undefined)
          await t.db.sql.run("update email_jobs set status = ? where id = ?", [statuses[next(5)], id]);
      } else if (op === 5) {
        // Deleting the newest lets SQLite hand its id out again.
        const id = next(2) === 0 ? await newest() : await pick();
        await t.db.sql.run("delete from email_jobs where id = ?", [id]);
      } else if (op === 6) {
        // Another id: refused (sqlite 0019), the status given with it too.
        const id = await pick();
        if (id !== undefined) {
          await expect(
            t.db.sql.run("update email_jobs set id = ?, status = ? where id = ?", [
              (await newest()) + 1,
              statuses[next(5)],
              id,
            ]),
          ).rejects.toThrow("email_jobs.id cannot change");
        }
      } else if (op === 7) await foldUncounted(t.db.sql);
      else await recountEmailCounters(t.db.sql, T0);
      const expected = await truth();
      const read = await readStatusCounts(t.db.sql);
      if (JSON.stringify(read) !== JSON.stringify(expected)) {
        throw new Error(`after ops ${done.join(",")}: read ${JSON.stringify(read)}, table ${JSON.stringify(expected)}`);
      }
    }
    // Every kind of step ran, and once folded the counters alone are the table's.
    expect(new Set(done).size).toBe(9);
    await foldUncounted(t.db.sql);
    const rows = await counterRows(t.db.sql);
    expect(Object.fromEntries(EMAIL_STATUSES.map((s) => [s, rows[`email.${s}`] ?? 0]))).toEqual(await truth());
  });

  it("with its watermark row gone misses inserts until a recount puts the row back", async () => {
    await enqueue(2);
    await t.db.sql.run("delete from counters where name = ?", [WATERMARK]);
    await enqueue(4);
    // Every job counts as below a missing watermark, and an insert has no trigger (sqlite 0019).
    expect(await readStatusCounts(t.db.sql)).toEqual({ ...ZERO, pending: 0 });
    expect(await foldUncounted(t.db.sql)).toBe(0);
    expect(await recountEmailCounters(t.db.sql, T0)).toEqual({ ...ZERO, pending: 6 });
    expect(await watermark(t.db.sql)).toBe(6);
    await enqueue(3);
    expect(await readStatusCounts(t.db.sql)).toEqual({ ...ZERO, pending: 9 });
  });

  it("a recount first folds, so it reports only drift", async () => {
    await enqueue(6);
    const exact = await recountEmailCounters(t.db.sql, T0);
    expect(exact).toEqual({ ...ZERO, pending: 6 });
    expect(await watermark(t.db.sql)).toBe(6);
    expect((await counterRows(t.db.sql))["email.pending"]).toBe(6);
    // Jobs enqueued between that fold and the recount's transaction stay above the watermark,
    // so the recount must leave them out of the counters: the read adds them.
    await enqueue(2);
    await new CounterStore(t.db.sql).recount({ ...EMAIL_COUNTERS, catchUp: undefined }, T0);
    expect(await watermark(t.db.sql)).toBe(6);
    expect(await readStatusCounts(t.db.sql)).toEqual({ ...ZERO, pending: 8 });
  });
});

describe("migration sqlite 0015 on a database with jobs", () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir("steward-watermark-");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("keeps the counts and sets the watermark at the newest job", async () => {
    const { folder } = migrationsBefore("sqlite", "0015_email_insert_counts_folded", dir);
    const db = openDatabase({ dialect: "sqlite", file: path.join(dir, "old.db") });
    try {
      await migrate(db, folder);
      for (const status of ["pending", "sent", "pending"]) {
        await db.sql.run("insert into email_jobs (to_addrs, subject, text_body, status) values (?, 'old', 'x', ?)", [
          '["a@example.com"]',
          status,
        ]);
      }
      const before = await counterRows(db.sql);
      expect(before).toMatchObject({ "email.pending": 2, "email.sent": 1 });
      await migrate(db);
      expect(await counterRows(db.sql)).toEqual({ ...before, [WATERMARK]: 3 });
      await enqueueEmails(db.sql, [{ to: "b@example.com", subject: "new", text: "x" }], { now: T0 });
      expect(await readStatusCounts(db.sql)).toEqual({ ...ZERO, pending: 3, sent: 1 });
    } finally {
      await db.close();
    }
  });
});
