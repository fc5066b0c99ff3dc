import Sqlite from "better-sqlite3";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type EmailInput, enqueueEmails, enqueueEmailsSync } from "../../src/index.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { statusCounts } from "../helpers/email.js";

const message = (n: number): EmailInput => ({ to: `reader${n}@example.com`, subject: `order ${n}`, text: "thanks" });

/** More jobs than one statement takes on either dialect (SQLite 1,638 a statement, PostgreSQL 5,000). */
const MANY = 12_000;

describeEachDialect("bulk enqueue across several statements", (dialect, makeDb) => {
  let t: TestDb;
  let host: Sqlite.Database | undefined;
  beforeEach(async () => {
    t = await makeDb();
  });
  afterEach(async () => {
    host?.close();
    host = undefined;
    await t.cleanup();
  });

  /** Each way in: the host app's own handle, then Steward's executor. */
  function enqueuers(): Array<[string, (inputs: EmailInput[]) => Promise<Array<{ id: string; created: boolean }>>]> {
    if (t.db.driver.dialect === "sqlite") {
      host = new Sqlite(t.url);
      const handle = host;
      return [
        ["better-sqlite3 handle", async (inputs) => enqueueEmailsSync(handle, inputs)],
        ["Steward's executor", (inputs) => enqueueEmails(t.db.sql, inputs)],
      ];
    }
    const pool = t.db.driver.pool;
    return [
      ["pg Pool", (inputs) => enqueueEmails(pool, inputs)],
      ["Steward's executor", (inputs) => enqueueEmails(t.db.sql, inputs)],
    ];
  }

  it("stores all of them or, when the last statement fails, none", async () => {
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
    const inputs = Array.from({ length: MANY }, (_, n) => message(n));
    const poisoned = inputs.map((input, n) => (n === MANY - 10 ? { ...input, subject: "poison" } : input));
    let stored = 0;
    for (const [name, enqueue] of enqueuers()) {
      await expect(enqueue(poisoned), name).rejects.toThrow(/poison refused/);
      expect(await statusCounts(t.db), name).toEqual(stored ? { pending: stored } : {});
      const results = await enqueue(inputs);
      stored += MANY;
      expect(results.every((r) => r.created)).toBe(true);
      expect(new Set(results.map((r) => r.id)).size).toBe(MANY);
      expect(await statusCounts(t.db), name).toEqual({ pending: stored });
    }
    // Stored in the inputs' order, each with its own message.
    const last = await t.db.sql.get<{ subject: string }>("select subject from email_jobs order by id desc limit 1");
    expect(last?.subject).toBe(`order ${MANY - 1}`);
  });

  it("answers a key taken before, or earlier in the same batch, with the job that holds it", async () => {
    for (const [name, enqueue] of enqueuers()) {
      const prefix = name.replace(/\W/g, "");
      const [first] = await enqueue([{ ...message(0), idempotencyKey: `${prefix}-old` }]);
      const inputs = Array.from({ length: 4000 }, (_, n) =>
        n % 1000 === 5 ? { ...message(n), idempotencyKey: n < 2000 ? `${prefix}-old` : `${prefix}-new` } : message(n),
      );
      const results = await enqueue(inputs);
      expect(results[5]).toEqual({ id: first?.id, status: "pending", created: false });
      expect(results[1005]?.id).toBe(first?.id);
      expect(results[2005]?.created).toBe(true);
      expect(results[3005]).toEqual({ id: results[2005]?.id, status: "pending", created: false });
      expect(results.filter((r) => r.created)).toHaveLength(3997);
    }
  });

  it("renders each job of a templated batch with its own variables", async () => {
    const [, enqueue] = enqueuers()[1] as [string, (inputs: EmailInput[]) => Promise<Array<{ id: string }>>];
    const results = await enqueue(
      ["Ada", "Grace", "Edsger"].map((name) => ({
        to: `${name} <${name.toLowerCase()}@example.com>`,
        templateId: "welcome",
        variables: { name, product: "Steward" },
      })),
    );
    const rows = await t.db.sql.all<{ id: string | number; subject: string; to_addrs: unknown }>(
      "select id, subject, to_addrs from email_jobs",
    );
    // The API's ids are the integer key as text (SQLite reads it as a number, pg as text).
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    expect(results.map((r) => byId.get(r.id)?.subject)).toEqual([
      "Welcome to Steward, Ada",
      "Welcome to Steward, Grace",
      "Welcome to Steward, Edsger",
    ]);
    const to = byId.get(results[0]?.id as string)?.to_addrs;
    expect(typeof to === "string" ? JSON.parse(to) : to).toEqual(['"Ada" <ada@example.com>']);
  });

  it("stores text that a list of values must quote or escape as it was given", async () => {
    // A column that varies across a chunk goes as an array on PostgreSQL (pg-insert.ts), as
    // VALUES rows on SQLite: what an array literal's syntax gives a meaning to must stay text.
    const awkward = [
      'say "hi"',
      'back\\slash \\"',
      "NULL",
      "null",
      "{a,b}",
      "a, b",
      "",
      " spaced ",
      "ünï ✉",
      "two\nlines",
    ];
    const store = createEmailStore(t.db);
    for (const [name, enqueue] of enqueuers()) {
      const inputs = awkward.map((text, n) => ({
        ...message(n),
        subject: `${name} ${n}`,
        text: text || null,
        html: text ? null : "<p>empty text</p>",
      }));
      const results = await enqueue(inputs as EmailInput[]);
      for (const [i, input] of inputs.entries()) {
        const job = await store.get(results[i]?.id as string);
        expect({ subject: job?.subject, text: job?.text, html: job?.html }, `${name}: job ${i}`).toEqual({
          subject: input.subject,
          text: input.text,
          html: input.html,
        });
      }
    }
  });

  it("stores each job's own values whether a column varies across the batch or every job shares it", async () => {
    // A column every job of a chunk shares is bound once, the others once a job (sqlite-insert.ts,
    // pg-insert.ts): each kind of column here is shared in one batch and varies in the next.
    // A single job on SQLite binds only the columns it does not leave at the table's default.
    const sendAt = new Date("2031-05-06T07:08:09.123Z");
    const plain: EmailInput = { to: "ada@example.com", subject: "hello", text: "plain" };
    const dressed: EmailInput = {
      to: ["grace@example.com", "edsger@example.com"],
      cc: "cc@example.com",
      bcc: ["bcc@example.com"],
      from: '"Steward" <steward@example.com>',
      replyTo: "replies@example.com",
      subject: "dressed",
      html: "<p>hi</p>",
      headers: { "X-Campaign": "spring" },
      priority: 3,
      sendAt,
      batchId: "spring",
      idempotencyKey: "dressed-1",
    };
    const batches: EmailInput[][] = [
      [plain, { ...plain, subject: "hello again" }, { ...plain, text: "plain too" }],
      [dressed, { ...dressed, idempotencyKey: "dressed-2" }],
      [plain, { ...dressed, idempotencyKey: "dressed-3" }, plain],
      // One job alone names only the columns it sets and leaves the rest to the table's defaults.
      [plain],
      [{ ...dressed, idempotencyKey: "dressed-4" }],
      [{ ...plain, cc: "cc@example.com", priority: 2 }],
      [{ to: "ada@example.com", subject: "html only", html: "<p>x</p>", priority: 0 }],
    ];
    const store = createEmailStore(t.db);
    for (const [name, enqueue] of enqueuers()) {
      for (const batch of batches) {
        const keyed = (input: EmailInput) =>
          input.idempotencyKey ? { ...input, idempotencyKey: `${name}:${input.idempotencyKey}` } : input;
        const inputs = batch.map(keyed);
        const results = await enqueue(inputs);
        for (const [i, input] of inputs.entries()) {
          const job = await store.get(results[i]?.id as string);
          const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
          expect(job, `${name}: job ${i}`).toMatchObject({
            to: list(input.to),
            cc: list(input.cc),
            bcc: list(input.bcc),
            from: input.from ?? null,
            replyTo: input.replyTo ?? null,
            subject: input.subject,
            text: input.text ?? null,
            html: input.html ?? null,
            headers: input.headers ?? null,
            priority: input.priority ?? 0,
            batchId: input.batchId ?? null,
            idempotencyKey: input.idempotencyKey ?? null,
            status: "pending",
          });
          if (input.sendAt) expect(job?.runAt.toISOString()).toBe(sendAt.toISOString());
          else expect(job?.runAt.getTime()).toBe(job?.createdAt.getTime());
          expect(job?.updatedAt.getTime()).toBe(job?.createdAt.getTime());
        }
      }
    }
  });
});
