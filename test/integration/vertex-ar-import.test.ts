import Sqlite from "better-sqlite3";
import { afterEach, beforeEach, expect, it } from "vitest";
import { toBool } from "../../src/db/sql.js";
import type { FakeClock } from "../fakes/fake-clock.js";
import type { TestApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { emailApp } from "../helpers/email.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { type SeedCase, seedCase } from "../helpers/vertex-ar.js";
import { advanceUntil } from "../helpers/wait.js";

/**
 * The switch from Vertex AR, end to end in one process: the fixture database (rows in every
 * state) imported into each dialect by the real command, then the lifecycle and video passes
 * and the email queue run against a real SMTP server. What must hold is written out from the
 * fixture's rows, not computed by the code under test.
 */

const TABLES = ["email_jobs", "projects", "portraits", "videos", "video_schedule_history", "lifecycle_notices"];

/** The mail that is due once Vertex AR's data is in: its 3 unsent rows and 3 notices nobody got yet. */
const DUE_MAIL = [
  "Receipt -> stuck@example.com",
  "Report -> b@example.com,c@example.com,d@example.com",
  "Welcome -> reader@example.com",
  "expired p-past-due -> boris@example.com",
  "24hour p-24h -> anna@example.com",
  "7day p-7d -> boris@example.com",
];

describeEachDialect("steward import vertex-ar", (dialect, makeDb) => {
  let t: TestDb;
  let dir: string;
  let seedFile: string;
  let clock: FakeClock;
  let sink: SmtpSink | undefined;
  let host: TestApp | undefined;

  let seed: SeedCase;

  beforeEach(async () => {
    seed = await seedCase(makeDb, "steward-vertex-ar-");
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

  async function counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const table of TABLES) {
      const row = await t.db.sql.get<{ n: unknown }>(`select count(*) as n from ${table}`);
      out[table] = Number(row?.n);
    }
    return out;
  }

  async function shownVideos(): Promise<string[]> {
    const rows = await t.db.sql.all<{ id: string; is_shown: unknown }>("select id, is_shown from videos order by id");
    return rows.filter((r) => toBool(r.is_shown)).map((r) => r.id);
  }

  it("imports every state, sends each due mail once, repeats no notice, keeps the shown videos; a second import adds nothing", async () => {
    const report = await importJson();
    expect(report.tables).toEqual({
      email_queue: { read: 8, imported: 4, alreadyThere: 0, skipped: 4 },
      projects: { read: 2, imported: 2, alreadyThere: 0, skipped: 0 },
      portraits: { read: 11, imported: 10, alreadyThere: 0, skipped: 1 },
      videos: { read: 9, imported: 7, alreadyThere: 0, skipped: 2 },
      video_schedule_history: { read: 4, imported: 2, alreadyThere: 0, skipped: 2 },
      // p-past-done 3, p-past-due 2, p-24h 1, p-24h-done 2, p-7d-done 1, p-noemail 1, pr-acme 1, pr-old 3.
      lifecycle_notices: { read: null, imported: 14, alreadyThere: 0, skipped: 0 },
    });
    const skipped = Object.fromEntries(report.skipped.map((s) => [`${s.table} ${s.id}`, s.reason]));
    expect(skipped).toEqual({
      "email_queue e-sent": "sent; history comes in only with --include-sent",
      "email_queue e-bad-variables": "variables is not valid JSON",
      "email_queue e-bad-time": 'created_at "yesterday" is not a time',
      "email_queue e-bad-address": 'to: "not-an-address" is not an email address',
      "portraits p-bad-time": 'subscription_end "next tuesday" is not a time',
      "videos v-lost": "its portrait p-bad-time was not imported",
      "videos v-bad-window": "end_datetime is not after start_datetime",
      "video_schedule_history h-2": 'change_reason "schedule_update" has no counterpart in Steward\'s history',
      "video_schedule_history h-4": "its video v-bad-window was not imported",
    });
    expect(report.changed.map((c) => `${c.table} ${c.id}`)).toEqual(["clients c-gleb"]);
    expect(report.next).toEqual([
      "3 mails pending: the email queue sends them at once",
      "1 failed mail kept failed, not resent; `steward email retry --id <id>` sends one again",
      "3 notices due now (1 7day, 1 24hour, 1 expired): sent at the next lifecycle pass",
      // The expired notices of p-24h-done (in 12.5 hours) and p-24h (in 18 hours).
      "2 more notices due within 24 hours",
      "1 due notice held back: no owner email",
      "3 videos shown as in Vertex AR; the next video pass changes none",
    ]);

    // The seed's state came across: ids kept, naive times read as UTC, stuck mail pending again.
    const stuck = await t.db.sql.get<Record<string, unknown>>(
      "select status, attempts, to_addrs from email_jobs where idempotency_key = 'e-stuck'",
    );
    expect(stuck).toMatchObject({ status: "pending", attempts: 1 });
    const failed = await t.db.sql.get<Record<string, unknown>>(
      "select status, attempts, last_error from email_jobs where idempotency_key = 'e-failed'",
    );
    expect(failed).toEqual({ status: "failed", attempts: 3, last_error: "550 mailbox unavailable" });
    const welcome = await t.db.sql.get<Record<string, unknown>>(
      "select template_id, variables, text_body from email_jobs where idempotency_key = 'e-pending'",
    );
    expect(welcome?.template_id).toBe("welcome");
    expect(welcome?.text_body).toBe("Hello Anna");
    const p24 = await t.db.sql.get<Record<string, unknown>>(
      "select owner_email, subscription_end, title from portraits where id = 'p-24h'",
    );
    expect(p24?.owner_email).toBe("anna@example.com");
    expect(new Date(p24?.subscription_end as string | number | Date).toISOString()).toBe("2026-11-30T12:00:00.000Z");
    expect(await shownVideos()).toEqual(["v-7d-shown", "v-far-main", "v-seq-1"]);
    const before = await counts();

    // One pass of each scheduler, then another 20 minutes later (before v-seq-1's hour of
    // rotation, counted from its activation at 17:30, is up): notices already sent stay sent.
    for (const pass of ["lifecycle", "video"]) expect((await cli("run", pass)).code).toBe(0);
    expect(await shownVideos()).toEqual(["v-7d-shown", "v-far-main", "v-seq-1"]);
    await clock.advance(20 * 60_000);
    for (const pass of ["lifecycle", "video"]) expect((await cli("run", pass)).code).toBe(0);
    expect(await shownVideos()).toEqual(["v-7d-shown", "v-far-main", "v-seq-1"]);

    sink = await SmtpSink.start();
    host = emailApp({ databaseUrl: t.url, sink, clock, cwd: dir });
    await host.app.start();
    await advanceUntil(clock, () => sink?.messages.length === DUE_MAIL.length, { what: "the due mail" });
    const notices = await t.db.sql.all<{ subject_id: string; kind: string; recipient: string | null }>(
      "select subject_id, kind, recipient from lifecycle_notices where email_job_id is not null order by subject_id",
    );
    expect(notices.map((n) => `${n.kind} ${n.subject_id} -> ${n.recipient}`).sort()).toEqual(DUE_MAIL.slice(3).sort());
    // Each due mail once: the three seed rows by subject, the three notices to their owners.
    const delivered = sink.messages.map((m) => {
      const to = [...m.envelopeTo].sort().join(",");
      const seedSubject = ["Receipt", "Report", "Welcome"].find((x) => m.parsed?.subject === x);
      return seedSubject ? `${seedSubject} -> ${to}` : `notice -> ${to}`;
    });
    expect(delivered.sort()).toEqual(
      [...DUE_MAIL.slice(0, 3), ...DUE_MAIL.slice(3).map((d) => `notice -> ${d.split(" -> ")[1]}`)].sort(),
    );
    expect(new Set(sink.messages.map((m) => m.messageId)).size).toBe(DUE_MAIL.length);

    // A second import of the same file adds nothing and changes nothing.
    const sent = await counts();
    expect(sent.lifecycle_notices).toBe((before.lifecycle_notices ?? 0) + 3);
    const again = await importJson();
    for (const table of Object.values(again.tables)) expect(table.imported).toBe(0);
    expect(again.tables.email_queue.alreadyThere).toBe(4);
    expect(await counts()).toEqual(sent);
  });

  it("--dry-run reports exactly what the import then does, and writes nothing", async () => {
    const empty = await counts();
    const dry = await importJson("--dry-run");
    expect(dry.dryRun).toBe(true);
    expect(await counts()).toEqual(empty);
    const real = await importJson();
    expect(real.dryRun).toBe(false);
    expect(real.tables).toEqual(dry.tables);
    expect(real.skipped).toEqual(dry.skipped);
    expect(real.next).toEqual(dry.next);
    expect((await counts()).portraits).toBe(10);
  });

  it("is all or none: a failure on the last table rolls back every row before it", async () => {
    // The history is written last; make its first insert fail in the database itself.
    if (dialect === "sqlite") {
      await t.db.sql.run(
        `create trigger refuse_history before insert on video_schedule_history
         begin select raise(abort, 'history refused by the test'); end`,
      );
    } else {
      await t.db.sql.run(
        `create function refuse_history() returns trigger language plpgsql as $$
         begin raise exception 'history refused by the test'; end $$`,
      );
      await t.db.sql.run(
        "create trigger refuse_history before insert on video_schedule_history for each row execute function refuse_history()",
      );
    }
    const empty = await counts();
    const result = await cli("import", "vertex-ar", "--from", seedFile);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^steward: the import was rolled back, nothing was written: .*history refused by the test\n$/,
    );
    expect(await counts()).toEqual(empty);
  });

  it("reads a Vertex AR without the projects' notice columns, leaving its projects out and saying so", async () => {
    const old = new Sqlite(seedFile);
    old.exec("alter table projects drop column notified_7d");
    old.close();
    const report = await importJson();
    expect(report.tables.projects).toEqual({ read: 0, imported: 0, alreadyThere: 0, skipped: 0 });
    expect(report.skipped).toContainEqual({
      table: "projects",
      id: "(all)",
      reason: "table projects has no column notified_7d: no project imported",
      outcome: "skipped",
    });
    expect(report.changed).toContainEqual({
      table: "portraits",
      id: "p-none",
      reason: "its project pr-acme was not imported",
      outcome: "imported",
    });
    expect(report.tables.portraits.imported).toBe(10);
  });

  it("--include-sent brings sent mail in as history, which is never sent again", async () => {
    const report = await importJson("--include-sent");
    expect(report.tables.email_queue).toEqual({ read: 8, imported: 5, alreadyThere: 0, skipped: 3 });
    const row = await t.db.sql.get<{ status: string; sent_at: unknown }>(
      "select status, sent_at from email_jobs where idempotency_key = 'e-sent'",
    );
    expect(row?.status).toBe("sent");
    expect(new Date(row?.sent_at as string | number | Date).toISOString()).toBe("2026-11-01T08:00:02.000Z");
  });
});
