import { afterEach, beforeEach, expect, it } from "vitest";
import { enqueueEmail } from "../../src/services/email/enqueue/enqueue.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import type { EmailJob } from "../../src/services/email/store/job.js";
import { FakeClock } from "../fakes/fake-clock.js";
import type { TestApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { emailApp, statusCounts } from "../helpers/email.js";
import { type SinkOptions, SmtpSink } from "../helpers/smtp-sink.js";
import { advanceBy, waitFor } from "../helpers/wait.js";

/** What the running service does about time: it renews the lease of a long send, and keeps to its rate. */
describeEachDialect("the running email service, over time", (_dialect, makeDb) => {
  let t: TestDb;
  let sink: SmtpSink;
  let hosts: TestApp[];
  let clock: FakeClock;

  beforeEach(async () => {
    t = await makeDb();
    clock = new FakeClock("2026-03-01T10:00:00Z");
    hosts = [];
  });
  afterEach(async () => {
    for (const h of hosts) await h.app.stop();
    await sink.stop();
    await t.cleanup();
  });

  async function host(env: Record<string, string>): Promise<TestApp> {
    const h = emailApp({ databaseUrl: t.url, sink, clock, env });
    hosts.push(h);
    await h.app.start();
    return h;
  }

  const enqueue = (i: number) =>
    // Woken as an in-process caller wakes its host: the first host started.
    enqueueEmail(
      t.db.sql,
      { to: `r${i}@example.com`, subject: `m${i}`, text: "x" },
      { now: clock.now(), wake: hosts[0]?.app.wake },
    );

  it("holds a send past two EMAIL_LEASE_SECONDS periods, renewing its lease, while a second process polls: one delivery", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    // The server holds its answer to the first copy until the test lets it go; a second copy would go through.
    const gate: SinkOptions["gate"] = ({ attempt }) => {
      if (attempt !== 1) return undefined;
      arrived();
      return held;
    };
    sink = await SmtpSink.start({ gate });
    const lease = { EMAIL_LEASE_SECONDS: "5", EMAIL_POLL_INTERVAL_MS: "200" };
    await host({ ...lease, INSTANCE_ID: "first" });
    const { id } = await enqueue(0);
    await inFlight;
    await host({ ...lease, INSTANCE_ID: "second" });

    // 12 s of fake time: two lease periods and more, while both processes reap and claim.
    await advanceBy(clock, 12_000, { stepMs: 100, ioMs: 3 });
    const store = createEmailStore(t.db);
    const during = (await store.get(id)) as EmailJob;
    expect(during.status).toBe("sending");
    expect(during.leaseHolder).toMatch(/^first\//);
    expect(during.leaseExpiresAt?.getTime()).toBeGreaterThan(clock.now().getTime());

    release();
    await waitFor(async () => (await statusCounts(t.db)).sent === 1);
    await sink.waitForMessages(1);
    expect(sink.attempts).toHaveLength(1);
    expect(sink.messages).toHaveLength(1);
    expect(((await store.get(id)) as EmailJob).attempts).toBe(1);
  });

  it("sends no more than EMAIL_RATE_LIMIT messages in any second", async () => {
    const arrivals: number[] = [];
    sink = await SmtpSink.start({
      verdict: () => {
        arrivals.push(clock.now().getTime());
        return "accept";
      },
    });
    const start = clock.now().getTime();
    for (let i = 0; i < 12; i += 1) await enqueue(i);
    await host({ EMAIL_RATE_LIMIT: "3", EMAIL_QUEUE_WORKERS: "5" });
    // Fake time stands still while each second's sends run, so each arrives at the second it was let go in.
    for (let second = 0; second < 4; second += 1) {
      await sink.waitForMessages(3 * (second + 1));
      if (second < 3) await clock.advance(1_000);
    }
    await waitFor(async () => (await statusCounts(t.db)).sent === 12);
    const perSecond = new Map<number, number>();
    for (const at of arrivals) {
      const second = Math.floor((at - start) / 1_000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    expect(Object.fromEntries(perSecond)).toEqual({ 0: 3, 1: 3, 2: 3, 3: 3 });
  });
});
