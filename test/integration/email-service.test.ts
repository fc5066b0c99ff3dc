import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SettingsStore } from "../../src/db/coordination/settings.js";
import { enqueueEmail } from "../../src/services/email/enqueue/enqueue.js";
import { setPaused } from "../../src/services/email/pause.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import type { EmailJob } from "../../src/services/email/store/job.js";
import { FakeClock } from "../fakes/fake-clock.js";
import type { TestApp } from "../helpers/app.js";
import { sqliteTestDb, type TestDb } from "../helpers/db.js";
import { emailApp, statusCounts } from "../helpers/email.js";
import { type SinkOptions, SmtpSink } from "../helpers/smtp-sink.js";
import { advanceBy, advanceUntil, waitFor } from "../helpers/wait.js";

describe("the email service in a host process", () => {
  let t: TestDb;
  let sink: SmtpSink;
  let host: TestApp | undefined;
  let clock: FakeClock;

  beforeEach(async () => {
    t = await sqliteTestDb();
    clock = new FakeClock("2026-03-01T10:00:00Z");
  });
  afterEach(async () => {
    await host?.app.stop();
    host = undefined;
    await sink?.stop();
    await t.cleanup();
  });

  async function start(env: Record<string, string> = {}, sinkOptions: SinkOptions = {}, fake = true): Promise<TestApp> {
    sink = await SmtpSink.start(sinkOptions);
    host = emailApp({ databaseUrl: t.url, sink, clock: fake ? clock : undefined, env });
    await host.app.start();
    return host;
  }

  const job = async (id: string) => (await createEmailStore(t.db).get(id)) as EmailJob;
  const enqueue = async (subject = "Hello") =>
    (
      await enqueueEmail(
        t.db.sql,
        { to: "reader@example.com", subject, text: "Body" },
        { now: clock.now(), wake: host?.app.wake },
      )
    ).id;

  it("stops claiming while paused (persisted for every process) and resumes", async () => {
    await setPaused(new SettingsStore(t.db.sql), true, clock.now());
    await start();
    const id = await enqueue();
    await advanceBy(clock, 10_000, { stepMs: 500 });
    expect((await job(id)).status).toBe("pending");
    expect(sink.attempts).toHaveLength(0);
    await waitFor(() => host?.app.supervisor.status().email?.details.paused === true);
    await setPaused(new SettingsStore(t.db.sql), false, clock.now());
    await advanceUntil(clock, async () => (await job(id)).status === "sent");
    expect(sink.attempts).toHaveLength(1);
  });

  it("takes back a crashed sender's jobs even while paused, and sends them once resumed", async () => {
    await setPaused(new SettingsStore(t.db.sql), true, clock.now());
    const id = await enqueue();
    // As a process that died mid-send leaves it: sending, under a lease that has run out.
    await t.db.sql.run(
      "update email_jobs set status = 'sending', attempts = 1, lease_holder = 'dead', lease_expires_at = ? where id = ?",
      [new Date(clock.now().getTime() - 1_000), id],
    );
    await start();
    await advanceUntil(clock, async () => (await job(id)).status === "pending");
    expect(sink.attempts).toHaveLength(0);
    await setPaused(new SettingsStore(t.db.sql), false, clock.now());
    await advanceUntil(clock, async () => (await job(id)).status === "sent");
    expect(sink.attempts).toHaveLength(1);
  });

  it("picks up a row a host app inserted by hand within the poll interval, with a Message-ID", async () => {
    await start({ EMAIL_POLL_INTERVAL_MS: "500" });
    await clock.waitForSleepers(1);
    const now = clock.now().getTime();
    const row = await t.db.sql.get<{ id: number | string }>(
      "insert into email_jobs (to_addrs, subject, text_body, run_at, created_at, updated_at) values (?, ?, ?, ?, ?, ?) returning id",
      ['["hand@example.com"]', "by hand", "inserted directly", now, now, now],
    );
    const id = String(row?.id);
    // One poll interval of fake time, then real time for the real SMTP exchange.
    await advanceBy(clock, 600);
    await sink.waitForMessages(1);
    await waitFor(async () => (await job(id)).status === "sent");
    const stored = await job(id);
    expect(stored.messageId).toMatch(new RegExp(`^<${id}\\.[0-9a-f]{16}@example\\.test>$`));
    expect(sink.messages[0]?.parsed?.messageId).toBe(stored.messageId);
    expect(sink.messages[0]?.parsed?.subject).toBe("by hand");
  });

  /** A server that takes the message and then waits for the test before answering. */
  function slowServer() {
    let release: () => void = () => {};
    let arrived: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inFlight = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const gate = () => {
      arrived();
      return held;
    };
    return { gate, release: () => release(), inFlight };
  }

  it("on stop, gives a send that outlives the grace period back to pending", async () => {
    const server = slowServer();
    await start({ SHUTDOWN_GRACE_SECONDS: "0" }, { gate: server.gate }, false);
    const id = await enqueue();
    await server.inFlight;
    expect((await job(id)).status).toBe("sending");
    await host?.app.stop();
    const after = await job(id);
    expect(after.status).toBe("pending");
    expect(after.leaseHolder).toBeNull();
    expect(after.attempts).toBe(1);
    server.release();
  });

  it("on stop, lets a send in flight finish within the grace period", async () => {
    const server = slowServer();
    await start({ SHUTDOWN_GRACE_SECONDS: "30" }, { gate: server.gate }, false);
    const id = await enqueue();
    await server.inFlight;
    const stopping = host?.app.stop();
    await waitFor(() => host?.app.supervisor.status().email?.state === "stopping");
    server.release();
    await stopping;
    expect((await job(id)).status).toBe("sent");
    expect(sink.attempts).toHaveLength(1);
  });

  it("emails alerts to ALERT_EMAIL_TO through the queue, also from a process that sends no mail", async () => {
    const to = { ALERT_EMAIL_TO: "ops@example.com, oncall@example.com" };
    // A process with the queue switched off still stores its alerts in the queue...
    const quiet = (await start({ ...to, EMAIL_QUEUE_ENABLED: "false" }, {}, false)).app;
    await quiet.alerter.alert("error", "disk-full", "disk is full\non /data", { freeBytes: 0 });
    expect(await statusCounts(t.db)).toEqual({ pending: 1 });
    await quiet.stop();
    await sink.stop();
    // ...and one that runs it sends them, its own alerts too.
    const app = (await start(to, {}, false)).app;
    await app.alerter.alert("warning", "second", "another alert");
    await sink.waitForMessages(2);
    const first = sink.messages.find((m) => m.parsed?.subject?.startsWith("[Steward error]"));
    expect(first?.parsed?.subject).toBe("[Steward error] disk is full on /data");
    expect(first?.parsed?.text).toContain('"freeBytes": 0');
    expect(first?.envelopeTo.sort()).toEqual(["oncall@example.com", "ops@example.com"]);
    expect(sink.messages.map((m) => m.parsed?.subject).sort()).toEqual([
      "[Steward error] disk is full on /data",
      "[Steward warning] another alert",
    ]);
    await app.stop();
    await app.alerter.alert("error", "after-stop", "not emailed");
    expect(await statusCounts(t.db)).toEqual({ sent: 2 });
  });

  it("alerts when more than EMAIL_ALERT_FAILURE_RATE of at least 10 sends failed", async () => {
    const h = await start(
      { EMAIL_ALERT_FAILURE_RATE: "0.5" },
      { verdict: () => ({ code: 550, message: "No" }) },
      false,
    );
    for (let i = 0; i < 9; i += 1) await enqueue(`m${i}`);
    await waitFor(async () => (await statusCounts(t.db)).failed === 9);
    expect(h.alerts.filter((a) => a.key === "email-failure-rate")).toHaveLength(0);
    await enqueue("tenth");
    const alert = await waitFor(() => h.alerts.find((a) => a.key === "email-failure-rate"));
    expect(alert.message).toMatch(/^10 of 10 email sends failed in the last hour/);
    expect(alert.context).toMatchObject({ sends: 10, failures: 10, threshold: 0.5 });
  });

  it("alerts when the oldest due email has waited longer than EMAIL_ALERT_BACKLOG_SECONDS, once per cool-down", async () => {
    await setPaused(new SettingsStore(t.db.sql), true, clock.now());
    const h = await start({ EMAIL_ALERT_BACKLOG_SECONDS: "60", ALERT_COOLDOWN_SECONDS: "300" });
    const id = await enqueue();
    const backlog = () => h.alerts.filter((a) => a.key === "email-backlog");
    const advance = (seconds: number) => advanceBy(clock, seconds * 1_000, { stepMs: 1_000, ioMs: 2 });
    await advance(58);
    expect(backlog()).toHaveLength(0);
    await advance(10);
    const first = await waitFor(() => backlog()[0]);
    expect(first.message).toMatch(
      /^the oldest due email has waited 6\d s, more than EMAIL_ALERT_BACKLOG_SECONDS \(60\); the queue is paused$/,
    );
    expect(first.context).toMatchObject({ thresholdSeconds: 60, paused: true });
    // Checked every 2 s, raised again only after the cool-down.
    await advance(240);
    expect(backlog()).toHaveLength(1);
    await advance(70);
    await waitFor(() => backlog().length === 2);
    // Sent: the condition ends, and nothing more is raised.
    await setPaused(new SettingsStore(t.db.sql), false, clock.now());
    await advanceUntil(clock, async () => (await job(id)).status === "sent");
    await advance(400);
    expect(backlog()).toHaveLength(2);
  });

  it("raises no backlog alert with EMAIL_ALERT_BACKLOG_SECONDS=0", async () => {
    await setPaused(new SettingsStore(t.db.sql), true, clock.now());
    const h = await start({ EMAIL_ALERT_BACKLOG_SECONDS: "0" });
    await enqueue();
    await advanceBy(clock, 1_000_000, { stepMs: 10_000, ioMs: 2 });
    expect((h.app.supervisor.status().email?.details.oldestPendingAgeSeconds as number) > 900).toBe(true);
    expect(h.alerts.filter((a) => a.key === "email-backlog")).toEqual([]);
  });

  it("reports counts, in flight and last error in status, and sent/failed/depth/duration metrics", async () => {
    const bad = new Set<string>();
    const h = await start(
      {},
      { verdict: ({ messageId }) => (bad.has(messageId) ? { code: 554, message: "No" } : "accept") },
      false,
    );
    const okId = await enqueue("fine");
    await waitFor(async () => (await job(okId)).status === "sent");
    const badJob = await enqueueEmail(
      t.db.sql,
      { to: "x@example.com", subject: "bad", text: "x" },
      { now: new Date() },
    );
    bad.add((await job(badJob.id)).messageId as string);
    await waitFor(async () => (await job(badJob.id)).status === "failed");
    const status = await waitFor(() => {
      const s = h.app.supervisor.status().email;
      return (s?.details.counts as Record<string, number> | null)?.failed === 1 && s;
    });
    expect(status.state).toBe("running");
    expect(status.details).toMatchObject({
      transport: { kind: "smtp", state: "up", since: null },
      workers: 3,
      inFlight: 0,
      paused: false,
    });
    expect(status.details.counts).toMatchObject({ sent: 1, failed: 1, pending: 0 });
    expect(status.details.lastError).toMatchObject({ code: 554, jobId: badJob.id });
    const metrics = await (await fetch(`http://127.0.0.1:${h.app.port}/metrics`)).text();
    expect(metrics).toMatch(/^steward_email_sent_total 1$/m);
    expect(metrics).toMatch(/^steward_email_failed_total\{reason="smtp_5xx"\} 1$/m);
    expect(metrics).toMatch(/^steward_email_queue_depth 0$/m);
    expect(metrics).toMatch(/^steward_email_send_duration_seconds_count 2$/m);
    expect(metrics).toMatch(/^steward_email_transport_up 1$/m);
  });

  it("deletes finished jobs older than EMAIL_RETENTION_DAYS once a day", async () => {
    const day = 86_400_000;
    const old = await enqueue("old");
    const recent = await enqueue("recent");
    const pending = await enqueue("pending");
    const at = (ms: number) => clock.now().getTime() - ms;
    await t.db.sql.run("update email_jobs set status = 'sent', updated_at = ? where id = ?", [at(31 * day), old]);
    await t.db.sql.run("update email_jobs set status = 'failed', updated_at = ? where id = ?", [at(29 * day), recent]);
    await t.db.sql.run("update email_jobs set run_at = ? where id = ?", [at(-day), pending]);
    await start({ EMAIL_RETENTION_DAYS: "30" });
    // The cleanup runs beside the counts' refresh and reports when its last batch and the
    // space's upkeep are done.
    const cleanup = await waitFor(() => host?.app.supervisor.status().email?.details.lastCleanup);
    expect(cleanup).toMatchObject({ deleted: 1 });
    expect(await statusCounts(t.db)).toEqual({ failed: 1, pending: 1 });
  });
});
