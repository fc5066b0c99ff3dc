import { afterEach, beforeEach, expect, it } from "vitest";
import { enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import type { TestApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { emailApp, statusCounts } from "../helpers/email.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { waitFor } from "../helpers/wait.js";

describeEachDialect("email delivery to a real SMTP server", (_dialect, makeDb) => {
  let t: TestDb;
  let sink: SmtpSink;
  let host: TestApp | undefined;

  beforeEach(async () => {
    t = await makeDb();
    sink = await SmtpSink.start();
  });
  afterEach(async () => {
    await host?.app.stop();
    host = undefined;
    await sink.stop();
    await t.cleanup();
  });

  it("delivers 1,000 jobs exactly once, each as enqueued", async () => {
    const now = new Date();
    const inputs = Array.from({ length: 1000 }, (_, i) => ({
      to: [`user${i}@example.com`],
      cc: i % 10 === 0 ? [`Copy ${i} <copy${i}@example.org>`] : undefined,
      subject: `Message ${i} ✓`,
      text: `Plain body ${i}`,
      html: `<p>HTML body <b>${i}</b></p>`,
    }));
    const results = await enqueueEmails(t.db.sql, inputs, { now, messageIdDomain: "example.test" });
    const store = createEmailStore(t.db);
    const expected = new Map<string, { i: number; messageId: string }>();
    for (const [i, r] of results.entries()) {
      const job = await store.get(r.id);
      expected.set(job?.messageId as string, { i, messageId: job?.messageId as string });
    }
    host = emailApp({ databaseUrl: t.url, sink, env: { EMAIL_QUEUE_WORKERS: "8", SMTP_POOL_SIZE: "4" } });
    await host.app.start();
    await sink.waitForMessages(1000, 60_000);
    await waitFor(async () => (await statusCounts(t.db)).sent === 1000, { timeoutMs: 30_000, what: "1000 sent rows" });

    expect(sink.messages).toHaveLength(1000);
    expect([...sink.countsById().values()].every((n) => n === 1)).toBe(true);
    for (const message of sink.messages) {
      const want = expected.get(message.messageId);
      expect(want, `unexpected Message-ID ${message.messageId}`).toBeDefined();
      const i = want?.i as number;
      const parsed = message.parsed;
      expect(parsed?.subject).toBe(`Message ${i} ✓`);
      expect(parsed?.text?.trim()).toBe(`Plain body ${i}`);
      expect(parsed?.html).toContain(`HTML body <b>${i}</b>`);
      expect(parsed?.messageId).toBe(want?.messageId);
      const to = Array.isArray(parsed?.to) ? parsed?.to : [parsed?.to];
      expect(to.flatMap((a) => a?.value.map((v) => v.address))).toEqual([`user${i}@example.com`]);
      const envelope = [`user${i}@example.com`, ...(i % 10 === 0 ? [`copy${i}@example.org`] : [])];
      expect(message.envelopeTo.sort()).toEqual(envelope.sort());
    }
    const counts = await statusCounts(t.db);
    expect(counts).toEqual({ sent: 1000 });
    // The pool's 4 connections are reused, where the seed system opened a connection per email.
    expect(sink.connections).toBeLessThanOrEqual(4);
  });
});
