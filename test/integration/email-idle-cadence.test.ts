import { afterEach, beforeEach, expect, it } from "vitest";
import { SettingsStore } from "../../src/db/coordination/settings.js";
import type { Database } from "../../src/db/open.js";
import { PAUSE_KEY } from "../../src/services/email/pause.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import type { EmailJob } from "../../src/services/email/store/job.js";
import { FakeClock } from "../fakes/fake-clock.js";
import type { TestApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { emailApp } from "../helpers/email.js";
import { type SinkOptions, SmtpSink } from "../helpers/smtp-sink.js";
import { advanceBy, waitFor } from "../helpers/wait.js";

/**
 * The idle pool polls little (send/idle-cadence.ts): what no poll finds any more must still
 * happen at its time. EMAIL_POLL_INTERVAL_MS is ten minutes here and EMAIL_LEASE_SECONDS an
 * hour (a reap a minute), so nothing in these tests can be found by a poll or a reap's wake-up.
 */
const QUIET = { EMAIL_POLL_INTERVAL_MS: "600000", EMAIL_LEASE_SECONDS: "3600" };

describeEachDialect("the idle email pool's cadence", (dialect, makeDb) => {
  let t: TestDb;
  let sink: SmtpSink;
  let host: TestApp | undefined;
  let clock: FakeClock;
  const instance = `idle-${Math.random().toString(16).slice(2, 10)}`;

  beforeEach(async () => {
    t = await makeDb();
    clock = new FakeClock("2026-03-01T10:00:00Z");
  });
  afterEach(async () => {
    await host?.app.stop();
    host = undefined;
    await sink?.stop();
    await t.cleanup();
  });

  async function start(env: Record<string, string>, sinkOptions: SinkOptions = {}): Promise<void> {
    sink = await SmtpSink.start(sinkOptions);
    host = emailApp({ databaseUrl: t.url, sink, clock, env: { INSTANCE_ID: instance, ...env } });
    await host.app.start();
  }

  /** The LISTEN connection is up: from then on every enqueue and setting change is announced. */
  const listening = () =>
    waitFor(
      () =>
        t.db.sql.get("select pid from pg_stat_activity where application_name = ? and query ilike 'listen%'", [
          `steward email listener ${instance}`,
        ]),
      { timeoutMs: 10_000, what: "the LISTEN connection" },
    );

  const job = async (id: string) => (await createEmailStore(t.db).get(id)) as EmailJob;

  /**
   * A host app's own insert on its own connection: no in-process wake-up, only the trigger's
   * NOTIFY. The database assigns the id; this hands it back.
   */
  async function insertFromElsewhere(db: Database, name: string, runAt: Date): Promise<string> {
    const now = clock.now();
    const row = await db.sql.get<{ id: number | string }>(
      "insert into email_jobs (to_addrs, subject, text_body, run_at, created_at, updated_at) values (?, ?, ?, ?, ?, ?) returning id",
      ['["far@example.com"]', `from elsewhere ${name}`, "x", runAt, now, now],
    );
    return String(row?.id);
  }

  it("takes back a dead sender's job within a quarter of EMAIL_LEASE_SECONDS of its lease running out", async () => {
    const t0 = clock.now().getTime();
    const orphan = await insertFromElsewhere(t.db, "orphan", clock.now());
    // As a process that died mid-send leaves it: its lease runs out 10 s from now.
    await t.db.sql.run(
      "update email_jobs set status = 'sending', attempts = 1, lease_holder = 'dead', lease_expires_at = ? where id = ?",
      [new Date(t0 + 10_000), orphan],
    );
    await start({ EMAIL_LEASE_SECONDS: "60" });
    if (dialect === "pg") await listening();
    await advanceBy(clock, 10_000 + 15_000, { stepMs: 500 });
    await waitFor(async () => (await job(orphan)).status === "sent", { what: "the orphan sent" });
    expect(sink.messages).toHaveLength(1);
  });

  if (dialect !== "pg") return;

  it("sends a job at its run_at, though no poll is due then (a timer to the next run_at)", async () => {
    await start(QUIET);
    await listening();
    const t0 = clock.now().getTime();
    const later = await insertFromElsewhere(await t.another(), "later", new Date(t0 + 45_000));
    await advanceBy(clock, 44_000, { stepMs: 1_000 });
    expect((await job(later)).status).toBe("pending");
    await advanceBy(clock, 2_000, { stepMs: 250 });
    await waitFor(async () => (await job(later)).status === "sent", { what: "the job sent" });
    const sentAt = (await job(later)).sentAt?.getTime() as number;
    expect(sentAt).toBeGreaterThanOrEqual(t0 + 45_000);
    expect(sentAt).toBeLessThanOrEqual(t0 + 46_000);
  });

  it("retries a refused job at its retry time, though no poll is due then", async () => {
    await start(
      { ...QUIET, EMAIL_RETRY_DELAYS: "40" },
      { verdict: ({ attempt }) => (attempt === 1 ? { code: 451, message: "Try again later" } : "accept") },
    );
    await listening();
    const t0 = clock.now().getTime();
    const refused = await insertFromElsewhere(await t.another(), "refused", clock.now());
    await sink.waitForAttempts(1);
    await waitFor(async () => (await job(refused)).status === "pending", { what: "the retry recorded" });
    await advanceBy(clock, 39_000, { stepMs: 1_000 });
    expect(sink.attempts).toHaveLength(1);
    await advanceBy(clock, 2_000, { stepMs: 250 });
    await waitFor(async () => (await job(refused)).status === "sent", { what: "the retry sent" });
    const sentAt = (await job(refused)).sentAt?.getTime() as number;
    expect(sentAt).toBeGreaterThanOrEqual(t0 + 40_000);
    expect(sink.attempts.map((a) => a.verdict)).toEqual([451, "accept"]);
  });

  it("sees a pause and a resume from another process at once, by NOTIFY, with no time passing", async () => {
    await start(QUIET);
    await listening();
    const other = new SettingsStore((await t.another()).sql);
    await other.set(PAUSE_KEY, true, clock.now());
    await waitFor(() => host?.app.supervisor.status().email?.details.paused === true, { what: "the pause seen" });
    const held = await insertFromElsewhere(t.db, "held", clock.now());
    await other.set(PAUSE_KEY, false, clock.now());
    await waitFor(async () => (await job(held)).status === "sent", { what: "the job sent after the resume" });
    expect(host?.app.supervisor.status().email?.details.paused).toBe(false);
  });
});
