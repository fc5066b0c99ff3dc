import { afterEach, beforeEach, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import type { Sql } from "../../src/db/sql.js";
import { lifecycleDefinition } from "../../src/services/lifecycle/index.js";
import { videoDefinition } from "../../src/services/video/index.js";
import { testApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { waitForEvent } from "../helpers/wait.js";

const H = 3_600_000;
const D = 24 * H;

/** Projects and portraits ending at known offsets from now, videos shown and planned, a notice sent. */
async function seed(sql: Sql, now: number): Promise<void> {
  const at = (offset: number) => new Date(now + offset);
  for (const [id, owner, end] of [
    ["prj-a", "alice@example.com", 2 * D],
    ["prj-b", "bob@example.com", 10 * D],
    ["prj-c", "carol@example.com", 40 * D],
    ["prj-d", "Alice.Two@Example.com", 5 * D],
  ] as const) {
    await sql.run("insert into projects (id, name, owner_email, subscription_end) values (?, ?, ?, ?)", [
      id,
      `Project ${id}`,
      owner,
      at(end),
    ]);
  }
  await sql.run(
    `insert into portraits (id, project_id, title, owner_email, subscription_end) values
       ('por-1', 'prj-a', 'First', null, ?), ('por-2', null, 'Second', 'dave@example.com', ?)`,
    [at(3 * D), at(90 * D)],
  );
  await sql.run(
    `insert into videos (id, portrait_id, title, media_url, start_at, end_at, rotation_type, status) values
       ('v-now', 'por-1', '<b>Now</b>', 'https://media.example/now.mp4', ?, ?, 'none', 'active'),
       ('v-later', 'por-1', 'Later', 'https://media.example/later.mp4', ?, null, 'none', 'active')`,
    [at(-H), at(6 * H), at(6 * H)],
  );
  await sql.run(
    `insert into lifecycle_notices (subject_type, subject_id, kind, subscription_end, email_job_id, recipient, created_at)
     values ('project', 'prj-a', '7day', ?, 'job-1', 'alice@example.com', ?)`,
    [at(2 * D), at(-H)],
  );
}

describeEachDialect("lifecycle and video lists over HTTP", (_dialect, makeDb) => {
  let t: TestDb;
  let app: App;
  let now: number;

  beforeEach(async () => {
    t = await makeDb();
    now = Date.now();
    await seed(t.db.sql, now);
    app = testApp([lifecycleDefinition(), videoDefinition()], {
      env: {
        DATABASE_URL: t.url,
        LIFECYCLE_SCHEDULER_ENABLED: "false",
        LIFECYCLE_EXPIRED_NOTICE_DAYS: "30",
        VIDEO_SCHEDULER_NOTIFICATIONS_ENABLED: "false",
      },
    }).app;
    // The video scheduler's first pass shows v-now and writes the history row.
    const pass = waitForEvent(app.events, "run:recorded", (r) => r.service === "video");
    await app.start();
    await pass;
  });
  afterEach(async () => {
    await app.stop();
    await t.cleanup();
  });

  const get = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${app.port}${path}`);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const ids = (body: Record<string, unknown>) => (body.items as Array<{ id: string }>).map((i) => i.id);

  it("lists projects by filter and pages them by cursor", async () => {
    const all = await get("/projects?limit=3");
    expect(ids(all.body)).toEqual(["prj-a", "prj-b", "prj-c"]);
    expect(ids((await get(`/projects?limit=3&cursor=${all.body.nextCursor}`)).body)).toEqual(["prj-d"]);
    const soon = await get("/projects?endingWithinDays=7&limit=1");
    expect(ids(soon.body)).toEqual(["prj-a"]);
    expect(soon.body.items).toEqual([
      {
        id: "prj-a",
        name: "Project prj-a",
        ownerEmail: "alice@example.com",
        ownerName: null,
        subscriptionEnd: new Date(now + 2 * D).toISOString(),
        status: "active",
        updatedAt: expect.any(String),
      },
    ]);
    expect(ids((await get(`/projects?endingWithinDays=7&limit=1&cursor=${soon.body.nextCursor}`)).body)).toEqual([
      "prj-d",
    ]);
    expect(ids((await get("/projects?owner=ALICE")).body)).toEqual(["prj-a", "prj-d"]);
    expect(ids((await get("/projects?status=archived")).body)).toEqual([]);
    expect((await get("/projects?status=gone")).body).toEqual({
      error: 'status: one of active, expiring, archived, not "gone"',
    });
    expect((await get("/projects?endingWithinDays=0")).status).toBe(400);
  });

  it("lists portraits with the owner they inherit from their project", async () => {
    const { body } = await get("/portraits?owner=alice");
    expect(body.items).toEqual([
      expect.objectContaining({ id: "por-1", projectId: "prj-a", ownerEmail: "alice@example.com" }),
    ]);
  });

  it("gives the plan of the next N days as `lifecycle plan` does, and the notices sent newest first", async () => {
    const plan = (await get("/lifecycle/plan?days=7")).body;
    expect(plan).toMatchObject({ days: 7, truncated: false, notificationsEnabled: true });
    const notices = plan.notices as Array<{ id: string; kind: string; at: string }>;
    // prj-a's 7-day notice is recorded: only its 24-hour one remains; prj-d ends in 5 days.
    expect(notices.filter((n) => n.id === "prj-a").map((n) => n.kind)).toEqual(["24hour", "expired"]);
    expect(notices.map((n) => n.at)).toEqual([...notices.map((n) => n.at)].sort());
    expect(notices.some((n) => n.id === "prj-c")).toBe(false);
    expect((await get("/lifecycle/plan?days=0")).body).toEqual({
      error: 'days: a whole number from 1 to 3650, not "0"',
    });
    const sent = (await get("/lifecycle/notices")).body;
    expect(sent.items).toEqual([
      {
        id: expect.any(String),
        at: new Date(now - H).toISOString(),
        kind: "7day",
        subject: "project",
        subjectId: "prj-a",
        emailId: "job-1",
        recipient: "alice@example.com",
      },
    ]);
  });

  it("shows per portrait what is shown now and what changes next, and the history", async () => {
    const { body } = await get("/video/portraits");
    expect(body.items).toEqual([
      {
        portraitId: "por-1",
        shown: {
          videoId: "v-now",
          title: "<b>Now</b>",
          mediaUrl: "https://media.example/now.mp4",
          since: expect.any(String),
        },
        // v-now's window ends in six hours, exactly when v-later's begins.
        next: { at: new Date(now + 6 * H).toISOString(), change: "activate", videoId: "v-later" },
        videos: 2,
      },
    ]);
    const history = (await get("/video/history?portraitId=por-1")).body;
    expect(history.items).toEqual([
      {
        id: expect.any(String),
        at: expect.any(String),
        portraitId: "por-1",
        videoId: "v-now",
        change: "activate",
        state: "shown",
        fromVideoId: null,
        actor: expect.any(String),
      },
    ]);
    expect((await get("/video/history?portraitId=por-2")).body).toEqual({ items: [], nextCursor: null });
  });

  it("runs a video pass over HTTP as `steward run video` does, admin only", async () => {
    const r = await fetch(`http://127.0.0.1:${app.port}/run/video`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(r.status).toBe(200);
    // The first pass already showed v-now: this one has nothing to change.
    expect(await r.json()).toMatchObject({ portraits: 1, failures: 0, changes: { schedule_activation: 0 } });
    expect((await fetch(`http://127.0.0.1:${app.port}/run/nosuch`, { method: "POST" })).status).toBe(404);
  });
});
