import { afterEach, beforeEach, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { jsonParam, toNumber } from "../../src/db/sql.js";
import { enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import { FakeClock } from "../fakes/fake-clock.js";
import type { TestApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { emailApp } from "../helpers/email.js";
import { SmtpSink, type Verdict } from "../helpers/smtp-sink.js";
import { waitFor } from "../helpers/wait.js";

const TOKEN = "test-admin-token-0123456789";

type Body = Record<string, unknown>;
interface Summary {
  id: string;
  status: string;
  to: string[];
  subject: string;
  batchId: string | null;
  createdAt: string;
  sentAt: string | null;
}
interface Page {
  items: Summary[];
  nextCursor: string | null;
}

describeEachDialect("the email admin API", (_dialect, makeDb) => {
  let t: TestDb;
  let sink: SmtpSink;
  let host: TestApp | undefined;
  /** Per Message-ID and attempt, what the sink answers; accept unless a test says otherwise. */
  let verdict: (messageId: string, attempt: number) => Verdict;

  beforeEach(async () => {
    t = await makeDb();
    verdict = () => "accept";
    sink = await SmtpSink.start({ verdict: (info) => verdict(info.messageId, info.attempt) });
  });
  afterEach(async () => {
    await host?.app.stop();
    host = undefined;
    await sink.stop();
    await t.cleanup();
  });

  /** The app on this database; the queue's workers run unless `workers` is false. */
  async function start(options: { workers?: boolean; clock?: FakeClock } = {}): Promise<App> {
    host = emailApp({
      databaseUrl: t.url,
      sink,
      clock: options.clock,
      env: {
        ADMIN_TOKEN: TOKEN,
        EMAIL_QUEUE_ENABLED: String(options.workers ?? true),
        EMAIL_POLL_INTERVAL_MS: "100",
      },
    });
    await host.app.start();
    return host.app;
  }

  async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
    const app = host?.app as App;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`http://127.0.0.1:${app.port}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Body };
  }
  const get = async <T = Body>(path: string) => {
    const reply = await call("GET", path);
    expect(reply.status, `GET ${path}: ${JSON.stringify(reply.body)}`).toBe(200);
    return reply.body as T;
  };
  const rows = async () => toNumber((await t.db.sql.get<{ n: unknown }>("select count(*) as n from email_jobs"))?.n);

  /** Pauses through the API, and waits until this process's workers have seen it. */
  async function pause(): Promise<void> {
    expect(await call("POST", "/emails/pause", {})).toEqual({ status: 200, body: { paused: true } });
    const details = () => host?.app.supervisor.statusOf("email")?.details as Body;
    await waitFor(() => details().paused === true, { what: "the workers to see the pause" });
  }

  /** Every page of `path` (a query string ending in limit=...), in order. */
  async function walk(path: string, from: string | null = null): Promise<Summary[]> {
    const seen: Summary[] = [];
    let cursor: string | null = from;
    do {
      const page: Page = await get<Page>(cursor === null ? path : `${path}&cursor=${encodeURIComponent(cursor)}`);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return seen;
  }

  it("lists with filters and pages by cursor: every job once, newest first, stable under inserts", async () => {
    await start({ workers: false });
    const base = Date.parse("2026-03-01T00:00:00Z");
    // 53 jobs a minute apart: three recipients (one only in cc), every fifth in a batch.
    for (let i = 0; i < 53; i += 1) {
      await enqueueEmails(
        t.db.sql,
        [
          {
            to: [`reader${i % 3}@example.com`],
            cc: i % 10 === 0 ? ["Copy <Boss@Example.org>"] : undefined,
            subject: `Job ${i}`,
            text: "hello",
            batchId: i % 5 === 0 ? "spring" : undefined,
          },
        ],
        { now: new Date(base + i * 60_000) },
      );
    }
    const all = await walk("/emails?limit=7");
    expect(all).toHaveLength(53);
    expect(new Set(all.map((j) => j.id)).size).toBe(53);
    expect(all.map((j) => j.subject)).toEqual(Array.from({ length: 53 }, (_, i) => `Job ${52 - i}`));
    expect(all[0]).toMatchObject({ status: "pending", to: ["reader1@example.com"], batchId: null, sentAt: null });
    expect(all[0]).not.toHaveProperty("text");

    // A job enqueued between two pages is newer than the cursor: the walk goes on without a repeat or a gap.
    const first = await get<Page>("/emails?limit=10");
    await enqueueEmails(t.db.sql, [{ to: ["late@example.com"], subject: "Late", text: "x" }]);
    const rest = await walk("/emails?limit=10", first.nextCursor);
    expect([...first.items, ...rest].map((j) => j.id)).toEqual(all.map((j) => j.id));

    const subjects = async (query: string) => (await walk(`/emails?${query}&limit=4`)).map((j) => j.subject);
    expect(await subjects("batchId=spring")).toEqual([50, 45, 40, 35, 30, 25, 20, 15, 10, 5, 0].map((i) => `Job ${i}`));
    // Any part of an address, any case, in to, cc or bcc.
    expect(await subjects("recipient=BOSS%40example")).toEqual([50, 40, 30, 20, 10, 0].map((i) => `Job ${i}`));
    expect((await subjects("recipient=reader2")).length).toBe(17);
    expect(await subjects("recipient=reader2&batchId=spring")).toEqual([50, 35, 20, 5].map((i) => `Job ${i}`));
    // An underscore or a percent sign is a character, not a wildcard.
    expect(await subjects("recipient=reader_")).toEqual([]);
    const from = new Date(base + 10 * 60_000).toISOString();
    const to = encodeURIComponent(new Date(base + 12 * 60_000).toISOString());
    expect(await subjects(`createdFrom=${from}&createdTo=${to}`)).toEqual(["Job 12", "Job 11", "Job 10"]);
    expect(await subjects("status=sent")).toEqual([]);
    expect(await subjects("status=pending")).toHaveLength(54);
  });

  it("lists pending jobs in the order they go out, finished ones most recently finished first", async () => {
    await start({ workers: false });
    const base = Date.parse("2026-03-01T00:00:00Z");
    const job = (subject: string, extra: Record<string, unknown> = {}) => ({
      to: ["reader@example.com"],
      subject,
      text: "x",
      ...extra,
    });
    // One bulk enqueue: nine jobs with one run_at, told apart by their place in it.
    await enqueueEmails(
      t.db.sql,
      Array.from({ length: 9 }, (_, i) => job(`Bulk ${i}`)),
      { now: new Date(base) },
    );
    await enqueueEmails(t.db.sql, [job("Urgent", { priority: -1 })], { now: new Date(base + 60_000) });
    await enqueueEmails(t.db.sql, [job("Later", { sendAt: new Date(base + 3_600_000) })], {
      now: new Date(base + 120_000),
    });
    await enqueueEmails(t.db.sql, [job("Low", { priority: 5 })], { now: new Date(base - 60_000) });
    const subjects = async (query: string, limit: number) =>
      (await walk(`/emails?${query}&limit=${limit}`)).map((j) => j.subject);
    const bulk = Array.from({ length: 9 }, (_, i) => `Bulk ${i}`);
    expect(await subjects("status=pending", 4)).toEqual(["Urgent", ...bulk, "Later", "Low"]);

    // Finish the bulk jobs as three settles would, each at its own time, the last settle first
    // in the table's order: the list follows when they finished, ties by their place.
    const finish = async (status: string, at: number, subjectsIn: string[]) =>
      t.db.sql.run(
        `update email_jobs set status = ?, updated_at = ? where subject in (${subjectsIn.map(() => "?").join(", ")})`,
        [status, new Date(at), ...subjectsIn],
      );
    await finish("sent", base + 3 * 60_000, bulk.slice(0, 3));
    await finish("sent", base + 2 * 60_000, bulk.slice(3, 6));
    await finish("failed", base + 4 * 60_000, bulk.slice(6, 9));
    await finish("sending", base + 4 * 60_000, ["Urgent"]);
    expect(await subjects("status=sent", 2)).toEqual(["Bulk 2", "Bulk 1", "Bulk 0", "Bulk 5", "Bulk 4", "Bulk 3"]);
    expect(await subjects("status=failed", 2)).toEqual(["Bulk 8", "Bulk 7", "Bulk 6"]);
    expect(await subjects("status=sending", 2)).toEqual(["Urgent"]);
    expect(await subjects("status=pending", 1)).toEqual(["Later", "Low"]);

    // A cursor pages only a list of its own order.
    const sentPage = await get<Page>("/emails?status=sent&limit=2");
    const reply = await call("GET", `/emails?status=pending&cursor=${sentPage.nextCursor}`);
    expect(reply).toEqual({
      status: 400,
      body: { error: "cursor is from a list with another status: pass it with the filter it came with" },
    });
  });

  it("answers bad input with a 4xx and a one-line reason", async () => {
    await start({ workers: false });
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ["GET", "/emails?status=lost", undefined, 400, /^status "lost" is not one of pending, sending, sent/],
      ["GET", "/emails?cursor=bm9wZQ", undefined, 400, /^cursor is not one this API answered/],
      ["GET", "/emails?limit=0", undefined, 400, /^limit must be a whole number from 1 to 500$/],
      ["GET", "/emails?limit=abc", undefined, 400, /^limit must be/],
      ["GET", "/emails?createdFrom=2026-03-01", undefined, 400, /^createdFrom "2026-03-01" is not an ISO 8601/],
      ["GET", "/emails?stauts=sent", undefined, 400, /^unknown parameter stauts \(known: status, /],
      ["GET", "/emails?status=sent&status=failed", undefined, 400, /^status is given more than once$/],
      ["GET", "/emails/no-such-job", undefined, 404, /^no such email job: no-such-job$/],
      ["GET", "/emails/no-such-job/preview", undefined, 404, /^no such email job: no-such-job$/],
      ["POST", "/emails/no-such-job/retry", {}, 404, /^no such email job: no-such-job$/],
      ["POST", "/emails/no-such-job/cancel", "{not json", 400, /^malformed JSON/],
      ["POST", "/emails/pause", [], 400, /^the body must be a JSON object$/],
      ["POST", "/emails/pause", { now: true }, 400, /^unknown field now \(this action takes none: send \{\}\)$/],
      ["POST", "/emails/cleanup", { days: 0 }, 400, /^days must be a whole number from 1 to 36500$/],
      ["POST", "/emails/retry-failed", { batchId: 7 }, 400, /^batchId must be a string$/],
      ["POST", "/emails/batch", { jobs: [] }, 400, /^jobs must be a list of 1 to 10000 emails$/],
      ["GET", "/batches/none", undefined, 404, /^no such batch: none$/],
    ];
    for (const [method, path, body, status, error] of cases) {
      const reply = await call(method, path, body);
      expect(reply.status, `${method} ${path}`).toBe(status);
      expect(reply.body.error, `${method} ${path}`).toMatch(error);
      expect(String(reply.body.error)).not.toContain("\n");
    }
    // Every route is admin: without the token, nothing is listed and nothing changes.
    expect((await call("GET", "/emails", undefined, null)).status).toBe(401);
    expect((await call("POST", "/emails/pause", {}, null)).status).toBe(401);
    expect(await get("/emails/stats")).toMatchObject({ paused: false });
  });

  it("shows a job refused with 550 by the SMTP server, retries it through the API, and it is sent", async () => {
    await start();
    verdict = (_id, attempt) => (attempt === 1 ? { code: 550, message: "5.1.1 mailbox unavailable" } : "accept");
    const posted = await call("POST", "/emails", {
      to: ["Reader <reader@example.com>"],
      subject: "Your portrait",
      text: "Hello reader",
      html: "<p>Hello <b>reader</b></p><script>alert(1)</script>",
    });
    expect(posted.status).toBe(202);
    const id = posted.body.id as string;
    // The attempt's outcome is written a moment after the attempt (in batches): wait for the row.
    const detail = await waitFor(
      async () => {
        const job = await get(`/emails/${id}`);
        return job.status === "failed" && job;
      },
      { what: "the job to fail" },
    );
    expect(detail).toMatchObject({
      id,
      status: "failed",
      attempts: 1,
      lastSmtpCode: 550,
      recipients: { delivered: [], pending: [], refused: [{ address: "reader@example.com", code: 550 }] },
    });
    expect(String(detail.lastError)).toContain("mailbox unavailable");
    expect(await get(`/emails/${id}/preview`)).toEqual({
      subject: "Your portrait",
      from: "Steward <steward@example.test>",
      to: ['"Reader" <reader@example.com>'],
      cc: [],
      text: "Hello reader",
      html: "<p>Hello <b>reader</b></p><script>alert(1)</script>",
    });
    const stats = await get<{ counts: Body; perMinute: Array<{ sent: number; failed: number }> }>("/emails/stats");
    expect(stats.counts).toEqual({ pending: 0, sending: 0, sent: 0, failed: 1, cancelled: 0 });
    expect(stats.perMinute).toHaveLength(60);
    expect(stats.perMinute.reduce((n, m) => n + m.failed, 0)).toBe(1);
    expect((await get<Page>("/emails?status=failed")).items.map((j) => j.id)).toEqual([id]);

    expect(await call("POST", `/emails/${id}/retry`, {})).toEqual({ status: 200, body: { id, status: "pending" } });
    await sink.waitForMessages(1);
    expect(sink.messages[0]?.parsed?.subject).toBe("Your portrait");
    const after = await waitFor(
      async () => {
        const job = await get(`/emails/${id}`);
        return job.status === "sent" && job;
      },
      { what: "the job to be sent" },
    );
    expect(after).toMatchObject({ status: "sent", attempts: 1, recipients: { delivered: ["reader@example.com"] } });
    const again = await call("POST", `/emails/${id}/retry`, {});
    expect(again).toEqual({
      status: 409,
      body: { error: `job ${id} is sent; only failed or cancelled jobs can be retried` },
    });
    const sentAt = Date.parse(after.sentAt as string);
    const range = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
    expect((await get<Page>(`/emails?sentFrom=${range(sentAt)}&sentTo=${range(sentAt)}`)).items).toHaveLength(1);
    expect((await get<Page>(`/emails?sentFrom=${range(sentAt + 1)}`)).items).toHaveLength(0);
    const later = await get<{ counts: Body; perMinute: Array<{ sent: number }> }>("/emails/stats");
    expect(later.counts).toMatchObject({ sent: 1, failed: 0 });
    expect(later.perMinute.reduce((n, m) => n + m.sent, 0)).toBe(1);
  });

  it("previews a host app's row as it would be sent, and says why a row cannot be", async () => {
    await start({ workers: false });
    const insert = async (variables: unknown) => {
      const row = await t.db.sql.get<{ id: number | string }>(
        "insert into email_jobs (to_addrs, template_id, variables) values (?, ?, ?) returning id",
        [jsonParam(["ann@example.com"]), "welcome", jsonParam(variables)],
      );
      return String(row?.id);
    };
    const first = await insert({ name: "Ann", product: "Portraits" });
    const preview = await get(`/emails/${first}/preview`);
    expect(preview).toMatchObject({ subject: "Welcome to Portraits, Ann", from: "Steward <steward@example.test>" });
    expect(preview.text).toContain("Ann");
    expect(preview.html).toContain("<");
    const second = await insert({ product: "Portraits" });
    const refused = await call("GET", `/emails/${second}/preview`);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatch(new RegExp(`^job ${second} cannot be sent as stored: .*name`));
  });

  it("retries only the failed jobs the filter names", async () => {
    await start();
    verdict = () => ({ code: 550, message: "no" });
    const to = ["ann@example.com", "bob@example.com", "bob@example.com"];
    const ids: string[] = [];
    for (const address of to) {
      ids.push((await call("POST", "/emails", { to: [address], subject: "s", text: "t" })).body.id as string);
    }
    await waitFor(async () => (await get<{ counts: { failed: number } }>("/emails/stats")).counts.failed === 3, {
      what: "3 failed jobs",
    });
    await pause();
    const retried = await call("POST", "/emails/retry-failed", { recipient: "BOB@" });
    expect(retried.status).toBe(200);
    expect(retried.body.retried).toBe(2);
    expect((retried.body.ids as string[]).sort()).toEqual(ids.slice(1).sort());
    expect((await get<Page>("/emails?status=failed")).items.map((j) => j.id)).toEqual([ids[0]]);
    expect((await call("POST", "/emails/retry-failed", { batchId: "none" })).body).toEqual({ retried: 0, ids: [] });
  });

  it("cancels a pending job, refuses to cancel it twice, and retries a cancelled one", async () => {
    // No workers: a retried job is due at once, and this test looks at it before a send.
    await start({ workers: false });
    const later = { to: ["a@example.com"], subject: "Later", text: "x", sendAt: "2099-01-01T00:00:00Z" };
    const id = (await call("POST", "/emails", later)).body.id as string;
    expect(await call("POST", `/emails/${id}/cancel`, {})).toEqual({ status: 200, body: { id, status: "cancelled" } });
    expect(await call("POST", `/emails/${id}/cancel`, {})).toEqual({
      status: 409,
      body: { error: `job ${id} is cancelled; only pending jobs can be cancelled` },
    });
    expect((await get(`/emails/${id}`)).status).toBe("cancelled");
    expect((await call("POST", `/emails/${id}/retry`, {})).body).toEqual({ id, status: "pending" });
    expect((await get(`/emails/${id}`)).status).toBe("pending");
  });

  it("pause stops the workers claiming, resume lets them send", async () => {
    const app = await start();
    await pause();
    expect(await get("/emails/stats")).toMatchObject({ paused: true });
    const details = () => app.supervisor.statusOf("email")?.details as Body;
    const id = (await call("POST", "/emails", { to: ["a@example.com"], subject: "Held", text: "x" })).body.id;
    // Two refreshes of the service's counts after the enqueue: the workers had their chances, and the job waits.
    const seen = await waitFor(() => (details().counts as Body | null)?.pending === 1 && details().countsAt);
    await waitFor(() => details().countsAt !== seen, { what: "another refresh" });
    expect(sink.attempts).toHaveLength(0);
    expect((await get(`/emails/${id}`)).status).toBe("pending");

    expect(await call("POST", "/emails/resume", {})).toEqual({ status: 200, body: { paused: false } });
    await sink.waitForMessages(1);
    expect(sink.messages[0]?.parsed?.subject).toBe("Held");
    expect(await get("/emails/stats")).toMatchObject({ paused: false });
  });

  it("cleanup deletes finished jobs older than the days given, and keeps the rest", async () => {
    const clock = new FakeClock("2026-01-01T00:00:00Z");
    await start({ workers: false, clock });
    const post = async (subject: string) =>
      (await call("POST", "/emails", { to: ["a@example.com"], subject, text: "x", sendAt: "2099-01-01T00:00:00Z" }))
        .body.id as string;
    const old = await post("old");
    await post("old but pending");
    await call("POST", `/emails/${old}/cancel`, {});
    clock.set("2026-01-25T00:00:00Z");
    const recent = await post("recent");
    await call("POST", `/emails/${recent}/cancel`, {});
    clock.set("2026-02-10T00:00:00Z");
    expect(await call("POST", "/emails/cleanup", { days: 30 })).toEqual({
      status: 200,
      body: { deleted: 1, days: 30 },
    });
    expect((await walk("/emails?limit=10")).map((j) => j.subject)).toEqual(["recent", "old but pending"]);
    // A newer job: SQLite's cleanup keeps the newest job however old, so that no id is handed out twice.
    await post("newer");
    expect((await call("POST", "/emails/cleanup", { days: 10 })).body).toEqual({ deleted: 1, days: 10 });
    expect(await rows()).toBe(2);
  });

  it("enqueues a batch all or none, and reports its progress to the end", async () => {
    await start();
    const job = (i: number) => ({ to: [`member${i}@example.com`], subject: `Newsletter ${i}`, text: "news" });
    const jobs = [job(0), job(1), job(2), { ...job(3), to: ["not an address"] }, job(4)];
    const bad = await call("POST", "/emails/batch", { batchId: "news-1", jobs });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^jobs\[3\]: /);
    const wrongBatch = await call("POST", "/emails/batch", { batchId: "news-1", jobs: [{ ...job(0), batchId: "x" }] });
    expect(wrongBatch.body.error).toBe('jobs[0]: batchId "x" is not the batch\'s ("news-1")');
    const unknownField = await call("POST", "/emails/batch", { jobs: [job(0), { ...job(1), subjet: "typo" }] });
    expect(unknownField.body.error).toMatch(/^jobs\[1\]: unknown field subjet/);
    expect(await rows()).toBe(0);

    await pause();
    const sinkHeld = sink.messages.length;
    const good = await call("POST", "/emails/batch", { batchId: "news-1", jobs: [0, 1, 2, 3, 4].map(job) });
    expect(good.status).toBe(202);
    expect(good.body).toMatchObject({ batchId: "news-1", total: 5, created: 5 });
    expect(good.body.ids).toHaveLength(5);
    const waiting = await get("/batches/news-1");
    expect(waiting).toMatchObject({
      batchId: "news-1",
      total: 5,
      counts: { pending: 5, sending: 0, sent: 0, failed: 0, cancelled: 0 },
      finishedAt: null,
    });
    expect(Date.parse(waiting.startedAt as string)).not.toBeNaN();
    expect((await get<Page>("/emails?batchId=news-1")).items).toHaveLength(5);

    await call("POST", "/emails/resume", {});
    await sink.waitForMessages(sinkHeld + 5);
    const done = await waitFor(
      async () => {
        const b = await get<{ counts: { sent: number }; finishedAt: string | null }>("/batches/news-1");
        return b.finishedAt !== null && b;
      },
      { what: "the batch to finish" },
    );
    expect(done.counts).toEqual({ pending: 0, sending: 0, sent: 5, failed: 0, cancelled: 0 });

    // Without a batch id, one is made and answered.
    const unnamed = await call("POST", "/emails/batch", { jobs: [job(9)] });
    expect(unnamed.status).toBe(202);
    expect((await get(`/batches/${unnamed.body.batchId}`)).total).toBe(1);
  });

  it("drains the due jobs through POST /emails/drain, as `email drain` does, and checks SMTP", async () => {
    // No workers here: only the drain sends.
    await start({ workers: false });
    for (const i of [1, 2]) {
      expect((await call("POST", "/emails", { to: [`d${i}@example.com`], subject: `D${i}`, text: "x" })).status).toBe(
        202,
      );
    }
    expect(await call("POST", "/emails/drain", { max: 0 })).toMatchObject({
      status: 400,
      body: { error: "max must be a whole number from 1 to 1000000" },
    });
    expect((await call("POST", "/emails/drain", {}, null)).status).toBe(401);
    expect(await call("POST", "/emails/pause", {})).toMatchObject({ status: 200 });
    expect(await call("POST", "/emails/drain", {})).toEqual({
      status: 409,
      body: { error: "the email queue is paused; run `steward email resume` (or POST /emails/resume) first" },
    });
    expect(sink.attempts).toHaveLength(0);
    await call("POST", "/emails/resume", {});
    expect(await call("POST", "/emails/drain", {})).toEqual({
      status: 200,
      body: { claimed: 2, sent: 2, retrying: 0, failed: 0 },
    });
    expect(sink.messages.map((m) => m.parsed?.subject).sort()).toEqual(["D1", "D2"]);

    const check = await call("POST", "/emails/verify-smtp", {});
    expect(check).toEqual({
      status: 200,
      body: {
        connection: { ok: true, detail: `connected to 127.0.0.1:${sink.port}` },
        login: { ok: null, detail: "no SMTP_USER set; not logging in" },
      },
    });
  });
});
