import { afterEach, beforeEach, expect, it } from "vitest";
import { enqueueEmail } from "../../src/services/email/enqueue/enqueue.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import type { EmailJob } from "../../src/services/email/store/job.js";
import { FakeClock } from "../fakes/fake-clock.js";
import type { TestApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { emailApp, statusCounts } from "../helpers/email.js";
import { type SinkOptions, SmtpSink } from "../helpers/smtp-sink.js";
import { advanceUntil } from "../helpers/wait.js";

/** The old defaults (1,2,4,8,16 s, 5 attempts) failed every queued mail within this much outage. */
const OLD_RETRY_BUDGET_MS = 1_000 + 2_000 + 4_000 + 8_000 + 16_000;

describeEachDialect("email through an SMTP outage", (_dialect, makeDb) => {
  let t: TestDb;
  let sink: SmtpSink;
  let host: TestApp | undefined;
  let clock: FakeClock;

  beforeEach(async () => {
    t = await makeDb();
    clock = new FakeClock("2026-03-01T10:00:00Z");
  });
  afterEach(async () => {
    await host?.app.stop();
    host = undefined;
    await sink.stop();
    await t.cleanup();
  });

  /** One worker, so the order mail reaches the server is the order the queue hands it out. */
  async function start(sinkOptions: SinkOptions, env: Record<string, string> = {}): Promise<TestApp> {
    sink = await SmtpSink.start(sinkOptions);
    host = emailApp({ databaseUrl: t.url, sink, clock, env: { EMAIL_QUEUE_WORKERS: "1", ...env } });
    await host.app.start();
    return host;
  }

  /** Ten jobs, queued a millisecond apart in the (fake) past, so their order is the queue's order. */
  async function enqueueTen(): Promise<string[]> {
    const ids: string[] = [];
    const base = clock.now().getTime() - 1_000;
    for (let i = 0; i < 10; i += 1) {
      const at = new Date(base + i);
      ids.push(
        (
          await enqueueEmail(
            t.db.sql,
            { to: `r${i}@example.com`, subject: `m${i}`, text: "x" },
            { now: at, wake: host?.app.wake },
          )
        ).id,
      );
    }
    return ids;
  }

  const jobs = async (ids: string[]) => {
    const store = createEmailStore(t.db);
    return Promise.all(ids.map(async (id) => (await store.get(id)) as EmailJob));
  };
  const transport = () => host?.app.supervisor.status().email?.details.transport as Record<string, unknown>;

  it("holds mail through an outage longer than the old retry budget, then delivers all of it in order with no attempt spent", async () => {
    const h = await start({});
    await sink.stop();
    const ids = await enqueueTen();
    await advanceUntil(clock, () => transport()?.state === "down", { maxMs: 180_000 });
    const downAt = clock.now().getTime();
    expect(transport()).toMatchObject({ kind: "smtp", state: "down" });
    expect(transport().lastError).toMatch(/ECONNREFUSED/);
    await advanceUntil(clock, () => clock.now().getTime() - downAt > OLD_RETRY_BUDGET_MS + 10_000, { maxMs: 180_000 });

    // Still down: every job waits, none has spent an attempt, and the server was probed, not flooded.
    expect(await statusCounts(t.db)).toEqual({ pending: 10 });
    expect((await jobs(ids)).map((j) => j.attempts)).toEqual(Array(10).fill(0));
    const status = (await (await fetch(`http://127.0.0.1:${h.app.port}/status/email`)).json()) as {
      details: { transport: Record<string, unknown> };
    };
    expect(status.details.transport).toMatchObject({ kind: "smtp", state: "down", since: expect.any(String) });
    expect(status.details.transport.lastError).toMatch(/ECONNREFUSED/);
    const metrics = await (await fetch(`http://127.0.0.1:${h.app.port}/metrics`)).text();
    expect(metrics).toMatch(/^steward_email_transport_up 0$/m);

    await sink.restart();
    await advanceUntil(clock, async () => (await statusCounts(t.db)).sent === 10, { maxMs: 180_000 });
    const sent = await jobs(ids);
    expect(sink.messages.map((m) => m.messageId)).toEqual(sent.map((j) => j.messageId));
    expect(sent.map((j) => j.attempts)).toEqual(Array(10).fill(1));
    expect(transport()).toMatchObject({ state: "up", since: null });
    expect(h.alerts.map((a) => a.key)).toEqual(["email-smtp-down"]);
    expect(h.alerts[0]?.message).toMatch(/^SMTP down since 2026-03-01T10:00:0\d\.\d{3}Z: .*ECONNREFUSED/);
    const after = await (await fetch(`http://127.0.0.1:${h.app.port}/metrics`)).text();
    expect(after).toMatch(/^steward_email_transport_up 1$/m);
  });

  it("holds mail while the server refuses the login, and sends it once the password is right", async () => {
    const auth = { user: "mailer", pass: "the-new-password" };
    const h = await start({ auth }, { SMTP_USER: "mailer", SMTP_PASSWORD: "the-old-password" });
    const ids = await enqueueTen();
    await advanceUntil(clock, () => transport()?.state === "down", { maxMs: 180_000 });
    expect(transport().lastError).toMatch(/535/);
    await advanceUntil(clock, () => clock.now().getTime() > Date.parse("2026-03-01T10:01:00Z"), { maxMs: 180_000 });
    expect((await jobs(ids)).map((j) => `${j.status}/${j.attempts}`)).toEqual(Array(10).fill("pending/0"));

    // The operator fixes the password (here: the server's, which comes to the same).
    auth.pass = "the-old-password";
    await advanceUntil(clock, async () => (await statusCounts(t.db)).sent === 10, { maxMs: 180_000 });
    expect((await jobs(ids)).map((j) => j.attempts)).toEqual(Array(10).fill(1));
    expect(h.alerts.map((a) => a.key)).toEqual(["email-smtp-down"]);
    expect(h.alerts[0]?.message).toMatch(/535/);
  });
});
