import { expect, it } from "vitest";
import type { Alert } from "../../src/alerting/alerter.js";
import type { Row, Sql } from "../../src/db/sql.js";
import { fromJson, toBool, toDate } from "../../src/db/sql.js";
import { lifecycleDefinition } from "../../src/services/lifecycle/definition.js";
import { videoDefinition } from "../../src/services/video/definition.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { seeded } from "../fakes/seeded-random.js";
import { type TestApp, testApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Thirty simulated days of both schedulers in a real host (supervisor, leases, interval
 * loops) on a fake clock: portraits across every lifecycle boundary, a renewal, videos of
 * every rotation type with overlapping windows. The expected notices and history rows are
 * written out from the rules below, not computed by the code under test. The same
 * scenario run again with a stop and restart in the middle must leave identical tables.
 */

const M = 60_000;
const H = 60 * M;
const D = 24 * H;
const T0 = Date.parse("2026-03-01T00:00:00.000Z");
const STEP = 30 * M;
const DAYS = 30;
const RENEW_AT = 2 * D + 12 * H;
const RESTART_AT = 12 * D + 6 * H + 30 * M;
const iso = (offset: number) => new Date(T0 + offset).toISOString();

const ENV = {
  LEASE_TTL_SECONDS: "3600",
  LIFECYCLE_CHECK_INTERVAL_SECONDS: "3600",
  VIDEO_SCHEDULER_CHECK_INTERVAL: "1800",
  VIDEO_SCHEDULER_ROTATION_INTERVAL: "21600",
  VIDEO_SCHEDULER_ARCHIVE_AFTER_HOURS: "168",
  LIFECYCLE_EXPIRED_NOTICE_DAYS: "30",
};

async function seed(sql: Sql): Promise<void> {
  const at = (offset: number | null) => (offset === null ? null : new Date(T0 + offset));
  const projects: Array<[string, string, number]> = [
    ["proj-due", "proj@example.com", 10 * D + 6 * H],
    ["proj-quiet", "quiet@example.com", 90 * D],
  ];
  for (const [id, owner, end] of projects) {
    await sql.run("insert into projects (id, name, owner_email, subscription_end) values (?, ?, ?, ?)", [
      id,
      id,
      owner,
      at(end),
    ]);
  }
  const portraits: Array<[string, string | null, string | null, number | null, string?]> = [
    ["p1-crossing", "p1@example.com", null, 5 * D + 12 * H],
    ["p2-last-day", "p2@example.com", null, 20 * H],
    ["p3-archived-lapsed", "p3@example.com", null, -2 * D, "archived"],
    ["p4-long-gone", "p4@example.com", null, -40 * D],
    ["p5-renewed", "p5@example.com", null, 3 * D],
    ["p6-inherits", null, "proj-due", 8 * D],
    ["p7-no-end", "p7@example.com", null, null],
    ["p8-far", "p8@example.com", null, 60 * D],
    ["p9-ownerless", null, null, 2 * D],
    ["vp-overlap", "vo@example.com", null, null],
    ["vp-seq", "vs@example.com", null, null],
    ["vp-cyc", "vc@example.com", null, null],
    ["vp-rand", "vr@example.com", null, null],
    ["vp-mixed", "vm@example.com", null, null],
    ["vp-late", null, "proj-quiet", null],
    ["vp-inactive", "vi@example.com", null, null],
  ];
  for (const [id, owner, project, end, status] of portraits) {
    await sql.run(
      `insert into portraits (id, project_id, title, owner_email, subscription_end, lifecycle_status, lifecycle_changed_at)
       values (?, ?, ?, ?, ?, ?, ?)`,
      [id, project, id, owner, at(end), status ?? "active", status ? new Date("2026-02-27T00:00:00Z") : null],
    );
  }
  const videos: Array<[string, string, number | null, number | null, string, number, string?]> = [
    ["ov-a", "vp-overlap", -D, 4 * D, "none", 0],
    ["ov-b", "vp-overlap", D, 3 * D, "none", 0],
    ["s1", "vp-seq", null, null, "sequential", 1],
    ["s2", "vp-seq", null, null, "sequential", 2],
    ["s3", "vp-seq", null, null, "sequential", 3],
    ["c1", "vp-cyc", null, null, "cyclic", 1],
    ["c2", "vp-cyc", null, null, "cyclic", 2],
    ["c3", "vp-cyc", null, null, "cyclic", 3],
    ["r1", "vp-rand", null, null, "random", 1],
    ["r2", "vp-rand", null, null, "random", 2],
    ["r3", "vp-rand", null, null, "random", 3],
    ["m1", "vp-mixed", null, null, "cyclic", 1],
    ["m2", "vp-mixed", null, null, "cyclic", 2],
    ["m-special", "vp-mixed", 5 * D, 6 * D, "none", 0],
    ["lt-1", "vp-late", 20 * D, null, "none", 0],
    ["in-1", "vp-inactive", null, null, "none", 0, "inactive"],
  ];
  for (const [id, portrait, start, end, type, order, status] of videos) {
    await sql.run(
      `insert into videos (id, portrait_id, title, start_at, end_at, rotation_type, rotation_order, status, is_shown)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, portrait, id, at(start), at(end), type, order, status ?? "active", false],
    );
  }
}

interface Snapshot {
  notices: string[];
  statuses: string[];
  history: Record<string, string[]>;
  videos: string[];
  emails: string[];
  digests: string[];
}

async function snapshot(sql: Sql, alerts: Alert[]): Promise<Snapshot> {
  const notices = await sql.all<Row>(
    `select subject_type, subject_id, kind, subscription_end, recipient, created_at, email_job_id is not null as linked
     from lifecycle_notices order by created_at, subject_id, kind`,
  );
  const statuses = await sql.all<Row>(
    `select 'project' as t, id, lifecycle_status, lifecycle_changed_at from projects
     union all select 'portrait', id, lifecycle_status, lifecycle_changed_at from portraits order by id`,
  );
  const history = await sql.all<Row>("select * from video_schedule_history order by id");
  const videos = await sql.all<Row>("select * from videos order by id");
  const emails = await sql.all<Row>(
    "select to_addrs, template_id, idempotency_key, variables, run_at from email_jobs order by idempotency_key",
  );
  const t = (v: unknown) => toDate(v)?.toISOString() ?? "-";
  const byPortrait: Record<string, string[]> = {};
  for (const r of history) {
    const rows = byPortrait[String(r.portrait_id)] ?? [];
    rows.push(`${t(r.at)} ${r.video_id} ${r.old_state}->${r.new_state} ${r.reason} ${r.actor}`);
    byPortrait[String(r.portrait_id)] = rows;
  }
  return {
    notices: notices.map(
      (r) =>
        `${t(r.created_at)} ${r.subject_type}:${r.subject_id} ${r.kind} E=${t(r.subscription_end)} to=${r.recipient} linked=${toBool(r.linked)}`,
    ),
    statuses: statuses.map((r) => `${r.t}:${r.id} ${r.lifecycle_status} ${t(r.lifecycle_changed_at)}`),
    history: byPortrait,
    videos: videos.map(
      (r) =>
        `${r.id} ${r.status} shown=${toBool(r.is_shown)} ${t(r.last_activated_at)} ${t(r.last_deactivated_at)} ${t(r.archived_at)}`,
    ),
    emails: emails.map(
      (r) =>
        `${fromJson<string[]>(r.to_addrs, []).join(",")} ${r.template_id} ${r.idempotency_key} ${t(r.run_at)} ${JSON.stringify(fromJson(r.variables, {}))}`,
    ),
    digests: alerts.filter((a) => a.key.startsWith("lifecycle-digest:")).map((a) => a.key),
  };
}

/**
 * Waits, on real time, until both loops and the host's heartbeat sleep and neither loop is in
 * a pass: the host is idle at this instant.
 */
async function idle(clock: FakeClock, t: TestApp): Promise<void> {
  const busy = (name: string) => t.app.supervisor.statusOf(name)?.details.passInProgress === true;
  await waitFor(() => clock.pendingSleeps >= 3 && !busy("lifecycle") && !busy("video"), {
    what: `the host idle at ${clock.now().toISOString()}`,
    timeoutMs: 20_000,
    everyMs: 1,
  });
  for (const name of ["lifecycle", "video"]) expect(t.app.supervisor.statusOf(name)?.state).toBe("running");
}

async function runScenario(makeDb: () => Promise<TestDb>, restartAt: number | null): Promise<Snapshot> {
  const t = await makeDb();
  const clock = new FakeClock(new Date(T0));
  const random = seeded(20260301);
  const cwd = tempDir();
  const alerts: Alert[] = [];
  await seed(t.db.sql);
  const boot = async () => {
    const host = testApp([lifecycleDefinition(), videoDefinition({ random })], {
      clock,
      cwd,
      env: { ...ENV, DATABASE_URL: t.url },
    });
    await host.app.start();
    await idle(clock, host);
    return host;
  };
  let host = await boot();
  try {
    for (let offset = STEP; offset <= DAYS * D; offset += STEP) {
      await clock.advance(STEP);
      await idle(clock, host);
      if (offset === RENEW_AT) {
        // A host app renews through the API: a new subscription end re-arms all three notices.
        const response = await fetch(`http://127.0.0.1:${host.app.port}/portraits/p5-renewed`, {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ title: "p5-renewed", ownerEmail: "p5@example.com", subscriptionEnd: iso(20 * D) }),
        });
        expect(response.status).toBe(200);
      }
      if (offset === restartAt) {
        await host.app.stop();
        alerts.push(...host.alerts);
        host = await boot();
      }
    }
    alerts.push(...host.alerts);
    return await snapshot(t.db.sql, alerts);
  } finally {
    await host.app.stop();
    await t.cleanup();
  }
}

/** The history the rules give, written out by hand. */
function expectedHistory(): Record<string, string[]> {
  const row = (offset: number, video: string, from: string, to: string, reason: string) =>
    `${iso(offset)} ${video} ${from}->${to} ${reason} steward:test-1`;
  const rotate = (offset: number, from: string, to: string) => [
    row(offset, from, "shown", "hidden", "rotation"),
    row(offset, to, "hidden", "shown", "rotation"),
  ];
  const cyc = ["c1", "c2", "c3"];
  const cyclic = [row(0, "c1", "hidden", "shown", "schedule_activation")];
  for (let k = 1; k <= 120; k += 1) cyclic.push(...rotate(k * 6 * H, cyc[(k - 1) % 3]!, cyc[k % 3]!));
  const mixed = [row(0, "m1", "hidden", "shown", "schedule_activation")];
  const m = ["m1", "m2"];
  for (let k = 1; k <= 19; k += 1) mixed.push(...rotate(k * 6 * H, m[(k - 1) % 2]!, m[k % 2]!));
  // Day 5: a non-rotating video with a later start takes over; day 6 it ends and the rotation resumes at m1.
  mixed.push(row(5 * D, "m2", "shown", "hidden", "schedule_deactivation"));
  mixed.push(row(5 * D, "m-special", "hidden", "shown", "schedule_activation"));
  mixed.push(row(6 * D, "m-special", "shown", "hidden", "schedule_deactivation"));
  mixed.push(row(6 * D, "m1", "hidden", "shown", "schedule_activation"));
  for (let k = 1; k <= 96; k += 1) {
    if (6 * D + k * 6 * H > 13 * D && !mixed.some((r) => r.includes("m-special hidden->archived"))) {
      mixed.push(row(13 * D + STEP, "m-special", "hidden", "archived", "archive"));
    }
    mixed.push(...rotate(6 * D + k * 6 * H, m[(k - 1) % 2]!, m[k % 2]!));
  }
  return {
    "vp-overlap": [
      row(0, "ov-a", "hidden", "shown", "schedule_activation"),
      row(D, "ov-a", "shown", "hidden", "schedule_deactivation"),
      row(D, "ov-b", "hidden", "shown", "schedule_activation"),
      row(3 * D, "ov-b", "shown", "hidden", "schedule_deactivation"),
      row(3 * D, "ov-a", "hidden", "shown", "schedule_activation"),
      row(4 * D, "ov-a", "shown", "hidden", "schedule_deactivation"),
      // Archived on the first pass more than 168 hours after the end, whatever its minute.
      row(10 * D + STEP, "ov-b", "hidden", "archived", "archive"),
      row(11 * D + STEP, "ov-a", "hidden", "archived", "archive"),
    ],
    "vp-seq": [
      row(0, "s1", "hidden", "shown", "schedule_activation"),
      ...rotate(6 * H, "s1", "s2"),
      ...rotate(12 * H, "s2", "s3"),
    ],
    "vp-cyc": cyclic,
    "vp-mixed": mixed,
    "vp-late": [row(20 * D, "lt-1", "hidden", "shown", "schedule_activation")],
  };
}

const EXPECTED_NOTICES: Array<[number, string, string, number, string]> = [
  [0, "portrait:p1-crossing", "7day", 5 * D + 12 * H, "p1@example.com"],
  [0, "portrait:p2-last-day", "24hour", 20 * H, "p2@example.com"],
  [0, "portrait:p3-archived-lapsed", "expired", -2 * D, "p3@example.com"],
  [0, "portrait:p5-renewed", "7day", 3 * D, "p5@example.com"],
  [20 * H, "portrait:p2-last-day", "expired", 20 * H, "p2@example.com"],
  [D, "portrait:p6-inherits", "7day", 8 * D, "proj@example.com"],
  [2 * D, "portrait:p5-renewed", "24hour", 3 * D, "p5@example.com"],
  [3 * D + 6 * H, "project:proj-due", "7day", 10 * D + 6 * H, "proj@example.com"],
  [4 * D + 12 * H, "portrait:p1-crossing", "24hour", 5 * D + 12 * H, "p1@example.com"],
  [5 * D + 12 * H, "portrait:p1-crossing", "expired", 5 * D + 12 * H, "p1@example.com"],
  [7 * D, "portrait:p6-inherits", "24hour", 8 * D, "proj@example.com"],
  [8 * D, "portrait:p6-inherits", "expired", 8 * D, "proj@example.com"],
  [9 * D + 6 * H, "project:proj-due", "24hour", 10 * D + 6 * H, "proj@example.com"],
  [10 * D + 6 * H, "project:proj-due", "expired", 10 * D + 6 * H, "proj@example.com"],
  [13 * D, "portrait:p5-renewed", "7day", 20 * D, "p5@example.com"],
  [19 * D, "portrait:p5-renewed", "24hour", 20 * D, "p5@example.com"],
  [20 * D, "portrait:p5-renewed", "expired", 20 * D, "p5@example.com"],
];

const EXPECTED_STATUSES = [
  `portrait:p1-crossing archived ${iso(5 * D + 12 * H)}`,
  `portrait:p2-last-day archived ${iso(20 * H)}`,
  "portrait:p3-archived-lapsed archived 2026-02-27T00:00:00.000Z",
  `portrait:p4-long-gone archived ${iso(0)}`,
  `portrait:p5-renewed archived ${iso(20 * D)}`,
  `portrait:p6-inherits archived ${iso(8 * D)}`,
  "portrait:p7-no-end active -",
  "portrait:p8-far active -",
  `portrait:p9-ownerless archived ${iso(2 * D)}`,
  `project:proj-due archived ${iso(10 * D + 6 * H)}`,
  "project:proj-quiet active -",
  ...["vp-cyc", "vp-inactive", "vp-late", "vp-mixed", "vp-overlap", "vp-rand", "vp-seq"].map(
    (id) => `portrait:${id} active -`,
  ),
];

// Lifecycle passes that changed a status or sent a notice (p5's renewal is seen at the next hour).
const EXPECTED_DIGESTS = [0, 20 * H, D, 2 * D, 2 * D + 13 * H, 3 * D + 6 * H, 4 * D + 12 * H, 5 * D + 12 * H]
  .concat([7 * D, 8 * D, 9 * D + 6 * H, 10 * D + 6 * H, 13 * D, 19 * D, 20 * D])
  .map((offset) => `lifecycle-digest:${iso(offset)}`);

describeEachDialect("thirty simulated days of both schedulers", (_dialect, makeDb) => {
  it("produces exactly the expected notices and history, and a stop and restart in the middle changes nothing", async () => {
    const [straight, restarted] = await Promise.all([runScenario(makeDb, null), runScenario(makeDb, RESTART_AT)]);

    expect(straight.notices).toEqual(
      EXPECTED_NOTICES.map(
        ([at, subject, kind, end, to]) => `${iso(at)} ${subject} ${kind} E=${iso(end)} to=${to} linked=true`,
      ),
    );
    expect(straight.statuses).toEqual(EXPECTED_STATUSES);
    expect(straight.digests).toEqual(EXPECTED_DIGESTS);

    const expected = expectedHistory();
    for (const [portrait, rows] of Object.entries(expected)) expect(straight.history[portrait], portrait).toEqual(rows);
    // Random rotation: every six hours, always to a different one of the three, from the seeded source.
    const random = straight.history["vp-rand"] ?? [];
    expect(random).toHaveLength(1 + 2 * 120);
    const shownInTurn = random.filter((r) => r.includes("->shown")).map((r) => r.split(" ")[1]);
    for (let k = 1; k < shownInTurn.length; k += 1) expect(shownInTurn[k]).not.toBe(shownInTurn[k - 1]);
    expect(new Set(shownInTurn)).toEqual(new Set(["r1", "r2", "r3"]));
    expect(Object.keys(straight.history).sort()).toEqual([...Object.keys(expected), "vp-rand"].sort());

    // One notice per portrait per pass that changed it other than by rotation alone (rotation
    // notices are off by default), to the owner (vp-late's goes to its project's).
    const videoEmails = straight.emails.filter((e) => e.includes(" video_schedule_change "));
    const passesWithChanges = Object.values(straight.history)
      .map((rows) => new Set(rows.filter((r) => r.split(" ")[3] !== "rotation").map((r) => r.split(" ")[0])).size)
      .reduce((a, b) => a + b, 0);
    expect(videoEmails).toHaveLength(passesWithChanges);
    expect(passesWithChanges).toBeGreaterThan(0);
    expect(videoEmails.some((e) => e.includes('"reason":"rotation"'))).toBe(false);
    expect(videoEmails.filter((e) => e.startsWith("quiet@example.com "))).toHaveLength(1);
    expect(straight.emails.filter((e) => / lifecycle_(7day|24hour|expired) /.test(e))).toHaveLength(17);

    // The restarted run left identical tables, alerts and emails.
    expect(restarted).toEqual(straight);
  }, 600_000);
});
