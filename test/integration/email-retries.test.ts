import { afterEach, beforeEach, expect, it } from "vitest";
import { enqueueEmail } from "../../src/services/email/enqueue/enqueue.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import type { EmailJob } from "../../src/services/email/store/job.js";
import { FakeClock } from "../fakes/fake-clock.js";
import type { TestApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { emailApp } from "../helpers/email.js";
import { type SinkOptions, SmtpSink } from "../helpers/smtp-sink.js";
import { advanceUntil, waitFor, waitForEvent } from "../helpers/wait.js";

describeEachDialect("email retries against a real SMTP server", (_dialect, makeDb) => {
  let t: TestDb;
  let sink: SmtpSink;
  let host: TestApp | undefined;
  let clock: FakeClock;
  /** Fake-clock time of each attempt the sink saw. */
  let attemptTimes: number[];

  beforeEach(async () => {
    t = await makeDb();
    clock = new FakeClock("2026-03-01T10:00:00Z");
    attemptTimes = [];
  });
  afterEach(async () => {
    await host?.app.stop();
    host = undefined;
    await sink.stop();
    await t.cleanup();
  });

  async function start(options: SinkOptions): Promise<void> {
    const verdict = options.verdict;
    sink = await SmtpSink.start({
      ...options,
      verdict: (info) => {
        attemptTimes.push(clock.now().getTime());
        return verdict?.(info) ?? "accept";
      },
    });
    host = emailApp({
      databaseUrl: t.url,
      sink,
      clock,
      env: { EMAIL_RETRY_DELAYS: "1,2,4", EMAIL_RETRY_MAX_ATTEMPTS: "5" },
    });
    await host.app.start();
  }

  async function enqueue(to: string[] = ["reader@example.com"]): Promise<string> {
    const r = await enqueueEmail(
      t.db.sql,
      { to, subject: "Hello", text: "Body" },
      {
        now: clock.now(),
        wake: host?.app.wake,
      },
    );
    return r.id;
  }

  const job = async (id: string) => (await createEmailStore(t.db).get(id)) as EmailJob;

  it("retries 451 twice after the configured delays and delivers on the third attempt", async () => {
    await start({ verdict: ({ attempt }) => (attempt <= 2 ? { code: 451, message: "Try again later" } : "accept") });
    const id = await enqueue();
    await sink.waitForAttempts(1);
    const afterFirst = await waitFor(async () => {
      const j = await job(id);
      return j.status === "pending" && j;
    });
    expect(afterFirst.attempts).toBe(1);
    expect(afterFirst.lastSmtpCode).toBe(451);
    expect(afterFirst.lastError).toContain("Try again later");
    expect(afterFirst.runAt.getTime() - (attemptTimes[0] as number)).toBe(1000);

    await advanceUntil(clock, async () => sink.messages.length === 1, { maxMs: 60_000 });
    const done = await waitFor(async () => {
      const j = await job(id);
      return j.status === "sent" && j;
    });
    expect(done.attempts).toBe(3);
    expect(sink.attempts.map((a) => a.verdict)).toEqual([451, 451, "accept"]);
    expect(new Set(sink.attempts.map((a) => a.messageId))).toEqual(new Set([done.messageId]));
    const [first, second, third] = attemptTimes as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(1000);
    expect(third - second).toBeGreaterThanOrEqual(2000);
    expect(sink.messages).toHaveLength(1);
  });

  it("fails a 550 after one attempt and records the code", async () => {
    await start({ verdict: () => ({ code: 550, message: "No such user here" }) });
    const attempt = waitForEvent((host as TestApp).app.events, "email:attempt");
    const id = await enqueue();
    // The attempt is told as it settles; its row is written with the next batch of outcomes.
    expect(await attempt).toMatchObject({ jobId: id, outcome: "failed", code: 550 });
    const failed = await waitFor(async () => {
      const j = await job(id);
      return j.status === "failed" && j;
    });
    expect(failed.attempts).toBe(1);
    expect(failed.lastSmtpCode).toBe(550);
    expect(failed.lastError).toContain("No such user here");
    await clock.advance(60_000);
    expect(sink.attempts).toHaveLength(1);
  });

  it("retries a connection dropped in the middle of DATA and delivers, spending no attempt on the drop", async () => {
    await start({ verdict: ({ attempt }) => (attempt === 1 ? "drop" : "accept") });
    const id = await enqueue();
    await sink.waitForAttempts(1);
    const dropped = await waitFor(async () => {
      const j = await job(id);
      return j.status === "pending" && j;
    });
    expect(dropped.lastSmtpCode).toBeNull();
    // A dropped connection is the transport's failure, not the message's: the attempt is given back.
    expect(dropped).toMatchObject({ attempts: 0, transportFailures: 1 });
    await advanceUntil(clock, async () => (await job(id)).status === "sent", { maxMs: 60_000 });
    expect((await job(id)).attempts).toBe(1);
    expect(sink.attempts.map((a) => a.verdict)).toEqual(["drop", "accept"]);
    expect(sink.messages).toHaveLength(1);
  });

  it("retries a recipient refused with 451 alone, with the same Message-ID, and lists one refused with 550", async () => {
    const offered = new Map<string, number>();
    await start({
      refuseRecipient: (address) => {
        const n = (offered.get(address) ?? 0) + 1;
        offered.set(address, n);
        if (address === "flaky@example.com" && n === 1) return { code: 451, message: "Greylisted, try again" };
        if (address === "gone@example.com") return { code: 550, message: "No such user" };
        return null;
      },
    });
    const id = await enqueue(["flaky@example.com", "ok@example.com", "gone@example.com"]);
    await sink.waitForMessages(1);
    const partial = await waitFor(async () => {
      const j = await job(id);
      return j.status === "pending" && j.attempts === 1 && j;
    });
    const gone = { address: "gone@example.com", code: 550, reply: "550 No such user" };
    expect(partial.recipients).toEqual({
      delivered: ["ok@example.com"],
      pending: [{ address: "flaky@example.com", code: 451, reply: "451 Greylisted, try again" }],
      refused: [gone],
    });
    expect(partial.lastSmtpCode).toBe(451);
    expect(partial.runAt.getTime() - (attemptTimes[0] as number)).toBe(1000);

    await advanceUntil(clock, async () => (await job(id)).status === "sent", { maxMs: 60_000 });
    const done = await job(id);
    expect(done.attempts).toBe(2);
    expect(done.recipients).toEqual({
      delivered: ["ok@example.com", "flaky@example.com"],
      pending: [],
      refused: [gone],
    });
    expect(done.rejected).toEqual(["gone@example.com"]);
    await sink.waitForMessages(2);
    expect(sink.messages.map((m) => m.envelopeTo)).toEqual([["ok@example.com"], ["flaky@example.com"]]);
    expect(new Set(sink.messages.map((m) => m.messageId))).toEqual(new Set([done.messageId]));
    // The copy sent later is the same message: its headers still name everyone it was written to.
    expect(sink.messages[1]?.parsed?.headers.get("to")).toEqual(sink.messages[0]?.parsed?.headers.get("to"));
    // Neither the delivered nor the refused recipient was offered the message again.
    expect(Object.fromEntries(offered)).toEqual({ "flaky@example.com": 2, "ok@example.com": 1, "gone@example.com": 1 });
  });

  it("sends to the accepted recipients and lists the refused ones", async () => {
    await start({ refuseRecipient: (a) => (a === "gone@example.com" ? { code: 550, message: "Mailbox gone" } : null) });
    const id = await enqueue(["reader@example.com", "gone@example.com"]);
    const sent = await waitFor(async () => {
      const j = await job(id);
      return j.status === "sent" && j;
    });
    expect(sent.rejected).toEqual(["gone@example.com"]);
    expect(sent.lastSmtpCode).toBe(550);
    expect(sent.lastError).toContain("Mailbox gone");
    await sink.waitForMessages(1);
    expect(sink.messages[0]?.envelopeTo).toEqual(["reader@example.com"]);
  });

  it("fails a job whose every recipient is refused", async () => {
    await start({ refuseRecipient: () => ({ code: 550, message: "Nobody here" }) });
    const id = await enqueue(["a@example.com", "b@example.com"]);
    const failed = await waitFor(async () => {
      const j = await job(id);
      return j.status === "failed" && j;
    });
    expect(failed.attempts).toBe(1);
    expect(failed.lastSmtpCode).toBe(550);
    expect(sink.messages).toHaveLength(0);
  });

  it("gives up after EMAIL_RETRY_MAX_ATTEMPTS transient failures", async () => {
    await start({ verdict: () => ({ code: 421, message: "Service busy" }) });
    const id = await enqueue();
    await advanceUntil(clock, async () => (await job(id)).status === "failed", { stepMs: 250, maxMs: 60_000 });
    const failed = await job(id);
    expect(failed.attempts).toBe(5);
    expect(failed.lastError).toMatch(/^gave up after 5 attempts/);
    expect(sink.attempts).toHaveLength(5);
  });
});
