import { afterEach, beforeEach, expect, it } from "vitest";
import { enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";
import { statusCounts } from "../helpers/email.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { baseEnv, StewardProcess } from "../helpers/steward-process.js";
import { waitFor } from "../helpers/wait.js";

describeEachDialect("email queue survives SIGKILL", (_dialect, makeDb) => {
  let t: TestDb;
  let sink: SmtpSink;
  let processes: StewardProcess[];

  beforeEach(async () => {
    t = await makeDb();
    // A server slow enough that the kill finds sends in flight.
    sink = await SmtpSink.start({ parse: true, gate: () => new Promise((r) => setTimeout(r, 5)) });
    processes = [];
  });
  afterEach(async () => {
    for (const p of processes) await p.stop();
    await sink.stop();
    await t.cleanup();
  });

  function start(instance: string): StewardProcess {
    const env = baseEnv({
      DATABASE_URL: t.url,
      DATA_DIR: tempDir(),
      INSTANCE_ID: instance,
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(sink.port),
      EMAIL_FROM: "Steward <steward@example.test>",
      EMAIL_QUEUE_WORKERS: "8",
      EMAIL_LEASE_SECONDS: "5",
    });
    const proc = new StewardProcess({ env, cwd: tempDir() });
    processes.push(proc);
    return proc;
  }

  it("sends every one of 500 jobs after a restart; duplicates only of jobs in flight, with the same Message-ID", async () => {
    const now = new Date();
    await enqueueEmails(
      t.db.sql,
      Array.from({ length: 500 }, (_, i) => ({ to: `reader${i}@example.com`, subject: `Job ${i}`, text: `Body ${i}` })),
      { now },
    );
    const jobs = await t.db.sql.all<{ id: string; subject: string; message_id: string }>(
      "select id, subject, message_id from email_jobs",
    );
    const subjectById = new Map(jobs.map((j) => [j.message_id, j.subject]));

    const first = start("crash-first");
    await first.ready();
    await sink.waitForMessages(100, 60_000);
    first.kill("SIGKILL");
    await first.exited;

    const inFlight = await t.db.sql.all<{ message_id: string }>(
      "select message_id from email_jobs where status = 'sending'",
    );
    const inFlightIds = new Set(inFlight.map((r) => r.message_id));
    const countsAtKill = await statusCounts(t.db);
    expect(countsAtKill.sent ?? 0).toBeLessThan(500);
    expect(countsAtKill.sending ?? 0).toBeGreaterThan(0);

    const second = start("crash-second");
    await second.ready();
    await waitFor(async () => (await statusCounts(t.db)).sent === 500, {
      timeoutMs: 90_000,
      what: "all 500 jobs sent",
    });
    await sink.waitUntil(() => sink.countsById().size === 500, 30_000);

    expect(await statusCounts(t.db)).toEqual({ sent: 500 });
    const counts = sink.countsById();
    expect([...counts.keys()].sort()).toEqual([...subjectById.keys()].sort());
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    for (const messageId of duplicated) {
      expect(inFlightIds.has(messageId), `${messageId} was sent twice but was not in flight at the kill`).toBe(true);
      const copies = sink.messages.filter((m) => m.messageId === messageId);
      for (const copy of copies) {
        expect(copy.parsed?.messageId).toBe(messageId);
        expect(copy.parsed?.subject).toBe(subjectById.get(messageId));
      }
    }
    expect(sink.messages.length - 500).toBe(duplicated.reduce((sum, id) => sum + ((counts.get(id) ?? 1) - 1), 0));
  });
});
