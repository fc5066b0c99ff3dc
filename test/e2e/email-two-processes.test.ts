import { afterEach, beforeEach, expect, it } from "vitest";
import { enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";
import { statusCounts } from "../helpers/email.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { baseEnv, runSteward, StewardProcess } from "../helpers/steward-process.js";
import { waitFor } from "../helpers/wait.js";

describeEachDialect("two processes draining one queue", (_dialect, makeDb) => {
  let t: TestDb;
  let sink: SmtpSink;
  let processes: StewardProcess[] = [];

  beforeEach(async () => {
    t = await makeDb();
    sink = await SmtpSink.start({ parse: false });
  });
  afterEach(async () => {
    for (const p of processes) await p.stop();
    processes = [];
    await sink.stop();
    await t.cleanup();
  });

  it("sends each of 2,000 jobs exactly once", async () => {
    await enqueueEmails(
      t.db.sql,
      Array.from({ length: 2000 }, (_, i) => ({ to: `reader${i}@example.com`, subject: `Job ${i}`, text: "x" })),
      { now: new Date() },
    );
    const messageIds = (await t.db.sql.all<{ message_id: string }>("select message_id from email_jobs")).map(
      (r) => r.message_id,
    );
    processes = ["drain-a", "drain-b"].map(
      (instance) =>
        new StewardProcess({
          env: baseEnv({
            DATABASE_URL: t.url,
            DATA_DIR: tempDir(),
            INSTANCE_ID: instance,
            SMTP_HOST: "127.0.0.1",
            SMTP_PORT: String(sink.port),
            EMAIL_FROM: "Steward <steward@example.test>",
          }),
          cwd: tempDir(),
        }),
    );
    // Paused until both are up, so that neither drains the queue before the other can claim.
    const cli = (...args: string[]) =>
      runSteward(args, { env: baseEnv({ DATABASE_URL: t.url, DATA_DIR: tempDir() }), cwd: tempDir() });
    expect((await cli("email", "pause")).code).toBe(0);
    const ports = await Promise.all(processes.map((p) => p.ready()));
    expect((await cli("email", "resume")).code).toBe(0);
    await sink.waitForMessages(2000, 120_000);
    await waitFor(async () => (await statusCounts(t.db)).sent === 2000, { timeoutMs: 30_000, what: "2000 sent rows" });
    const counts = sink.countsById();
    expect(counts.size).toBe(2000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect([...counts.keys()].sort()).toEqual(messageIds.sort());
    expect(sink.messages).toHaveLength(2000);
    expect(await statusCounts(t.db)).toEqual({ sent: 2000 });
    // Both processes did part of the work, and their parts add up.
    const sentBy = await Promise.all(
      processes.map(async (p, i) => {
        const text = (await p.get(ports[i] ?? 0, "/metrics")).text;
        return Number(/^steward_email_sent_total (\d+)/m.exec(text)?.[1] ?? 0);
      }),
    );
    expect(sentBy.every((n) => n > 0)).toBe(true);
    expect(sentBy[0]! + sentBy[1]!).toBe(2000);
  });
});
