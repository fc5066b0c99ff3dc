import { afterEach, beforeEach, expect, it } from "vitest";
import { createLogger } from "../../src/core/logger.js";
import { enqueueEmail, enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import { TemplateRenderer } from "../../src/services/email/enqueue/templates.js";
import { ThreadTransport } from "../../src/services/email/send/threads/thread-transport.js";
import type { TestApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { emailApp, statusCounts } from "../helpers/email.js";
import { type SinkOptions, SmtpSink } from "../helpers/smtp-sink.js";
import { waitFor } from "../helpers/wait.js";

/** EMAIL_SEND_THREADS > 1: sender threads build and send, the main thread claims and records. */
describeEachDialect("email sent from sender threads", (_dialect, makeDb) => {
  let t: TestDb;
  let sink: SmtpSink;
  let host: TestApp | undefined;
  let releaseGate: () => void = () => {};

  beforeEach(async () => {
    t = await makeDb();
  });
  afterEach(async () => {
    releaseGate();
    await host?.app.stop();
    host = undefined;
    await sink.stop();
    await t.cleanup();
  });

  it("delivers every job once through two threads sharing SMTP_POOL_SIZE", async () => {
    sink = await SmtpSink.start();
    host = emailApp({ databaseUrl: t.url, sink, env: { EMAIL_SEND_THREADS: "2", SMTP_POOL_SIZE: "3" } });
    await host.app.start();
    const inputs = Array.from({ length: 60 }, (_, i) => ({
      to: [`user${i}@example.com`],
      subject: `s${i}`,
      text: `t${i}`,
    }));
    await enqueueEmails(t.db.sql, inputs, { now: new Date(), wake: host.app.wake });
    await waitFor(async () => (await statusCounts(t.db)).sent === 60, { what: "60 sent rows" });
    const ids = sink.messages.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(60);
    expect(ids.length).toBe(60);
    expect(sink.messages.map((m) => m.parsed?.subject).sort()).toEqual(inputs.map((i) => i.subject).sort());
  });

  it("gives a killed thread's job back at once with its attempt refunded, restarts the thread, and sends the job", async () => {
    let arrived: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const held = new Promise<void>((resolve) => {
      releaseGate = resolve;
    });
    // The server holds its answer to the first copy: the send is in a thread's hands when the thread dies.
    const gate: SinkOptions["gate"] = ({ attempt }) => {
      if (attempt !== 1) return undefined;
      arrived();
      return held;
    };
    sink = await SmtpSink.start({ gate });
    let threads: ThreadTransport | undefined;
    host = emailApp({
      databaseUrl: t.url,
      sink,
      // A long lease: the job can only come back by the immediate release, not by expiry.
      env: { EMAIL_LEASE_SECONDS: "3600" },
      service: {
        transport: () => {
          threads = new ThreadTransport({
            threads: 2,
            smtp: sink.smtpSettings(2),
            from: "Steward <steward@example.test>",
            templatesDir: new TemplateRenderer().dir,
            maxBytes: 1024 * 1024,
            logger: createLogger({ level: "silent", format: "json", secrets: [] }),
          });
          return threads;
        },
      },
    });
    await host.app.start();
    const { id } = await enqueueEmail(
      t.db.sql,
      { to: "a@example.com", subject: "kept", text: "x" },
      { now: new Date(), wake: host.app.wake },
    );
    await inFlight;
    const transport = threads as ThreadTransport;
    const busy = transport.load().findIndex((n) => n > 0);
    expect(busy).toBeGreaterThanOrEqual(0);
    await transport.kill(busy);
    const row = await waitFor(
      async () => {
        const [r] = await t.db.sql.all<{ status: string; attempts: unknown }>(
          "select status, attempts from email_jobs where id = ?",
          [id],
        );
        return r?.status === "sent" ? r : undefined;
      },
      { what: "the job sent after its thread died" },
    );
    // Claimed twice, the first attempt refunded when its thread died.
    expect(Number(row.attempts)).toBe(1);
    expect(transport.restarts).toBe(1);
    const accepted = sink.attempts.filter((a) => a.verdict === "accept");
    expect(accepted.map((a) => a.attempt)).toContain(2);
    await waitFor(() => transport.load().every((n) => n === 0), { what: "no sends left in hand" });
  });
});
