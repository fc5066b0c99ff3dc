import Sqlite from "better-sqlite3";
import { afterEach, beforeEach, expect, it } from "vitest";
import { toBool } from "../../src/db/sql.js";
import type { FakeClock } from "../fakes/fake-clock.js";
import { FIXTURE_NOW } from "../fixtures/vertex-ar/make-db.mjs";
import type { TestApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { emailApp } from "../helpers/email.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { type SeedCase, seedCase } from "../helpers/vertex-ar.js";
import { advanceUntil } from "../helpers/wait.js";

/**
 * `steward import vertex-ar --sync`: the app keeps writing its own SQLite file after the switch
 * (renewing, shortening, moving a portrait to another client, rescheduling a video), and a
 * repeated sync carries that into Steward. The app's writes here are the SQL it would run on
 * its file; what must hold is written out from the fixture's rows.
 */

const TABLES = ["email_jobs", "projects", "portraits", "videos", "video_schedule_history", "lifecycle_notices"];

describeEachDialect("steward import vertex-ar --sync", (_dialect, makeDb) => {
  let t: TestDb;
  let dir: string;
  let seedFile: string;
  let clock: FakeClock;
  let sink: SmtpSink | undefined;
  let host: TestApp | undefined;

  let seed: SeedCase;

  beforeEach(async () => {
    seed = await seedCase(makeDb, "steward-vertex-ar-sync-");
    ({ t, dir, seedFile, clock } = seed);
  });
  afterEach(async () => {
    await host?.app.stop();
    host = undefined;
    await sink?.stop();
    sink = undefined;
    await t.cleanup();
  });

  const cli = (...args: string[]) => seed.cli(...args);
  const importJson = (...extra: string[]) => seed.importJson(...extra);

  /** What the app does to its own database: plain SQL on its file. */
  function app(sql: string, ...params: unknown[]): void {
    const db = new Sqlite(seedFile);
    try {
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
  }

  async function lifecyclePass(): Promise<void> {
    const result = await cli("run", "lifecycle");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  }

  /** Every notice Steward sent (one with an email job), as `kind subject end -> recipient`. */
  async function sentNotices(): Promise<string[]> {
    const rows = await t.db.sql.all<{ kind: string; subject_id: string; subscription_end: unknown; recipient: string }>(
      "select kind, subject_id, subscription_end, recipient from lifecycle_notices where email_job_id is not null",
    );
    return rows
      .map((r) => `${r.kind} ${r.subject_id} ${iso(r.subscription_end)} -> ${r.recipient}`)
      .sort((a, b) => a.localeCompare(b));
  }

  async function portrait(id: string): Promise<Record<string, unknown>> {
    const row = await t.db.sql.get<Record<string, unknown>>(
      "select title, owner_email, subscription_end, lifecycle_status from portraits where id = ?",
      [id],
    );
    return { ...row, subscription_end: iso(row?.subscription_end) };
  }

  /** When each pass last ran and runs next, from the row the schedulers keep. */
  async function passSchedule(): Promise<Record<string, { last_run_at: string | null; next_run_at: string | null }>> {
    const rows = await t.db.sql.all<{ service: string; last_run_at: unknown; next_run_at: unknown }>(
      "select service, last_run_at, next_run_at from service_state where service in ('lifecycle', 'video')",
    );
    return Object.fromEntries(
      rows.map((r) => [r.service, { last_run_at: iso(r.last_run_at), next_run_at: iso(r.next_run_at) }]),
    );
  }

  async function counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const table of TABLES) {
      const row = await t.db.sql.get<{ n: unknown }>(`select count(*) as n from ${table}`);
      out[table] = Number(row?.n);
    }
    return out;
  }

  it("carries a renewal, a shortening, a new owner and a new schedule; the passes send each new period's notices once; a second sync changes nothing", async () => {
    await importJson();
    await lifecyclePass();
    // The notices due at the switch (as in vertex-ar-import.test.ts), each sent once.
    const atSwitch = [
      "24hour p-24h 2026-11-30T12:00:00.000Z -> anna@example.com",
      "7day p-7d 2026-12-03T18:00:00.000Z -> boris@example.com",
      "expired p-past-due 2026-11-27T09:00:00.000Z -> boris@example.com",
    ];
    expect(await sentNotices()).toEqual(atSwitch);

    // The app goes on writing its own file. A renewal that leaves the notice timestamps as
    // they were (p-past-done ended 3 days ago with every notice sent), a shortening to 3 days
    // from now, a portrait moved to a new client, a project renewed, a video rescheduled (and
    // switched off, which Steward's video pass decides, not the app).
    app("update portraits set subscription_end = '2027-01-31 18:00:00' where id = 'p-past-done'");
    app("update portraits set subscription_end = '2026-12-02T18:00:00' where id = 'p-7d-done'");
    app(
      "insert into clients (id, company_id, phone, name, email) values ('c-nina', 'vertex-ar-default', '+104', 'Nina', 'nina@example.com')",
    );
    app("update portraits set client_id = 'c-nina' where id = 'p-far'");
    app("update projects set subscription_end = '2027-06-01 00:00:00', notified_7d = null where id = 'pr-acme'");
    app("update videos set end_datetime = '2027-01-15 00:00:00', is_active = 0 where id = 'v-7d-shown'");

    // Without --sync, a re-import names what differs and writes none of it.
    const plain = await importJson();
    expect(plain.updated).toEqual([]);
    expect(plain.next).toContain(
      "5 rows already there differ from Vertex AR's (end_at, owner_email, subscription_end, title), left as they are; --sync carries the app's changes",
    );
    expect((await portrait("p-past-done")).subscription_end).toBe("2026-11-26T18:00:00.000Z");

    const before = await counts();
    const dry = await importJson("--sync", "--dry-run");
    expect(await counts()).toEqual(before);
    const text = await cli("import", "vertex-ar", "--from", seedFile, "--sync", "--dry-run");
    expect(text.stdout).toContain(
      [
        "Would update from Vertex AR:",
        "  projects pr-acme: subscription_end 2026-12-02T12:00:00.000Z -> 2027-06-01T00:00:00.000Z",
        "  portraits p-7d-done: subscription_end 2026-12-05T12:00:00.250Z -> 2026-12-02T18:00:00.000Z",
        "  portraits p-far: title Anna -> Nina; owner_email anna@example.com -> nina@example.com",
        "  portraits p-past-done: subscription_end 2026-11-26T18:00:00.000Z -> 2027-01-31T18:00:00.000Z",
        "  videos v-7d-shown: end_at 2026-12-31T00:00:00.000Z -> 2027-01-15T00:00:00.000Z",
      ].join("\n"),
    );
    const synced = await importJson("--sync");
    expect(synced.updated).toEqual(dry.updated);
    expect(synced.next).toEqual(dry.next);
    expect(synced.updated).toEqual([
      {
        table: "projects",
        id: "pr-acme",
        changes: [{ field: "subscription_end", from: "2026-12-02T12:00:00.000Z", to: "2027-06-01T00:00:00.000Z" }],
      },
      {
        table: "portraits",
        id: "p-7d-done",
        changes: [{ field: "subscription_end", from: "2026-12-05T12:00:00.250Z", to: "2026-12-02T18:00:00.000Z" }],
      },
      {
        table: "portraits",
        id: "p-far",
        changes: [
          { field: "title", from: "Anna", to: "Nina" },
          { field: "owner_email", from: "anna@example.com", to: "nina@example.com" },
        ],
      },
      {
        table: "portraits",
        id: "p-past-done",
        changes: [{ field: "subscription_end", from: "2026-11-26T18:00:00.000Z", to: "2027-01-31T18:00:00.000Z" }],
      },
      {
        table: "videos",
        id: "v-7d-shown",
        changes: [{ field: "end_at", from: "2026-12-31T00:00:00.000Z", to: "2027-01-15T00:00:00.000Z" }],
      },
    ]);
    // The old period's timestamps the app left on the renewed portrait are not the new period's.
    expect(synced.changed.filter((c) => c.id === "p-past-done").map((c) => c.reason)).toEqual([
      "notification_7days_sent 2026-11-19T18:05:00.000Z is before the 7day notice's window for subscription_end 2027-01-31T18:00:00.000Z: taken as sent for an earlier end",
      "notification_24hours_sent 2026-11-25T18:05:00.000Z is before the 24hour notice's window for subscription_end 2027-01-31T18:00:00.000Z: taken as sent for an earlier end",
      "notification_expired_sent 2026-11-26T18:05:00.000Z is before the expired notice's window for subscription_end 2027-01-31T18:00:00.000Z: taken as sent for an earlier end",
    ]);
    expect(synced.tables.portraits).toEqual({ read: 11, imported: 0, alreadyThere: 10, skipped: 1 });
    // p-7d-done's 7-day notice went out on 2026-11-28, inside the window of its new end too:
    // Vertex AR sent it for this period, so it became Steward's record for the new end (at the
    // plain re-import already: a notice record is keyed by its end, and is harmless until then).
    expect(plain.tables.lifecycle_notices.imported).toBe(1);
    expect(synced.tables.lifecycle_notices.imported).toBe(0);

    // The renewal is a renewal: back to active at the next pass; the shortened one is expiring.
    await lifecyclePass();
    expect(await portrait("p-past-done")).toEqual({
      title: "Anna",
      owner_email: "anna@example.com",
      subscription_end: "2027-01-31T18:00:00.000Z",
      lifecycle_status: "active",
    });
    expect((await portrait("p-7d-done")).lifecycle_status).toBe("expiring");
    expect(await portrait("p-far")).toMatchObject({ title: "Nina", owner_email: "nina@example.com" });
    // The video's new end is Steward's; which video is shown stays the video pass's.
    const video = await t.db.sql.get<{ end_at: unknown; is_shown: unknown }>(
      "select end_at, is_shown from videos where id = 'v-7d-shown'",
    );
    expect(iso(video?.end_at)).toBe("2027-01-15T00:00:00.000Z");
    expect(toBool(video?.is_shown)).toBe(true);
    expect(await sentNotices()).toEqual(atSwitch);

    // A second sync finds nothing to carry and writes nothing: not even the passes' next run,
    // which a sync that carries something brings forward (so a timer does not force a pass a minute).
    const settled = await counts();
    const schedule = await passSchedule();
    expect(schedule.lifecycle?.last_run_at).not.toBeNull();
    const again = await importJson("--sync");
    expect(again.updated).toEqual([]);
    expect(await counts()).toEqual(settled);
    expect(await passSchedule()).toEqual(schedule);
    app("update clients set name = 'Anna K.' where id = 'c-anna'");
    const renamed = await importJson("--sync");
    expect(renamed.updated.map((u) => u.id)).toEqual(["p-24h", "p-7d-done", "p-past-done"]);
    expect((await passSchedule()).lifecycle).toEqual({ last_run_at: null, next_run_at: FIXTURE_NOW });

    // The renewed period's notices, each once, at its time: two passes at each.
    const renewed = [
      ["2027-01-25T18:00:00.000Z", "7day"],
      ["2027-01-31T06:00:00.000Z", "24hour"],
      ["2027-02-01T06:00:00.000Z", "expired"],
    ] as const;
    const mine = async () => (await sentNotices()).filter((n) => n.includes(" p-past-done "));
    for (const [k, [at, kind]] of renewed.entries()) {
      clock.set(at);
      await importJson("--sync");
      await lifecyclePass();
      await lifecyclePass();
      expect(await mine()).toHaveLength(k + 1);
      expect(await mine()).toContain(`${kind} p-past-done 2027-01-31T18:00:00.000Z -> anna@example.com`);
    }

    // Each notice's mail reaches a real SMTP server once.
    const jobIds = (
      await t.db.sql.all<{ email_job_id: string }>(
        "select email_job_id from lifecycle_notices where email_job_id is not null",
      )
    ).map((r) => r.email_job_id);
    expect(jobIds).toHaveLength(atSwitch.length + renewed.length);
    sink = await SmtpSink.start();
    host = emailApp({ databaseUrl: t.url, sink, clock, cwd: dir });
    await host.app.start();
    const noticeJobs = async () =>
      t.db.sql.all<{ status: string; message_id: string }>(
        `select status, message_id from email_jobs where id in (${jobIds.map(() => "?").join(", ")})`,
        jobIds,
      );
    await advanceUntil(clock, async () => (await noticeJobs()).every((j) => j.status === "sent"), {
      what: "every notice's mail",
    });
    for (const job of await noticeJobs()) {
      expect(sink.messages.filter((m) => m.messageId === job.message_id)).toHaveLength(1);
    }
  });

  it("records a notice Vertex AR sent after the switch, so Steward does not send it again", async () => {
    await importJson();
    // Vertex AR's scheduler, not yet stopped, sends p-7d's 7-day notice before Steward's first pass.
    app("update portraits set notification_7days_sent = '2026-11-29 18:00:30' where id = 'p-7d'");
    const synced = await importJson("--sync");
    expect(synced.tables.lifecycle_notices.imported).toBe(1);
    await lifecyclePass();
    expect(await sentNotices()).toEqual([
      "24hour p-24h 2026-11-30T12:00:00.000Z -> anna@example.com",
      "expired p-past-due 2026-11-27T09:00:00.000Z -> boris@example.com",
    ]);
  });

  it("leaves mail older than EMAIL_RETENTION_DAYS to the first import, so a job cleaned up is not sent again", async () => {
    await importJson();
    // 40 days on, the daily cleanup has deleted the job of the seed's e-pending, which Vertex
    // AR's table still shows pending.
    clock.set("2027-01-08T18:00:00.000Z");
    await t.db.sql.run("delete from email_jobs where idempotency_key = 'e-pending'");
    const synced = await importJson("--sync");
    expect(synced.tables.email_queue.imported).toBe(0);
    expect(synced.skipped).toContainEqual({
      table: "email_queue",
      id: "e-pending",
      reason:
        "created before EMAIL_RETENTION_DAYS ago: --sync leaves such mail to the first import, as its job may have been cleaned up and would be sent again",
      outcome: "skipped",
    });
    // Mail the app adds to its own table meanwhile is new, and comes in.
    app(
      `insert into email_queue (id, recipient_to, subject, body, status, attempts, created_at, updated_at)
       values ('e-new', 'new@example.com', 'Hello', 'New mail', 'pending', 0, '2027-01-08 17:59:00', '2027-01-08 17:59:00')`,
    );
    const next = await importJson("--sync");
    expect(next.tables.email_queue.imported).toBe(1);
    const jobs = await t.db.sql.all<{ idempotency_key: string }>(
      "select idempotency_key from email_jobs where idempotency_key in ('e-pending', 'e-new')",
    );
    expect(jobs.map((j) => j.idempotency_key)).toEqual(["e-new"]);
  });
});

function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const d =
    value instanceof Date
      ? value
      : new Date(typeof value === "string" && /^\d+$/.test(value) ? Number(value) : (value as string | number));
  return d.toISOString();
}
