import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { createLogger } from "../../src/core/logger.js";
import type { Row } from "../../src/db/sql.js";
import { toBool } from "../../src/db/sql.js";
import { enqueueEmail } from "../../src/services/email/enqueue/enqueue.js";
import { lifecycleDefinition } from "../../src/services/lifecycle/definition.js";
import { LifecyclePass } from "../../src/services/lifecycle/pass.js";
import { videoDefinition } from "../../src/services/video/definition.js";
import { VideoPass } from "../../src/services/video/pass.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { testApp } from "../helpers/app.js";
import { describeEachDialect, sqliteTestDb, type TestDb } from "../helpers/db.js";

const TOKEN = "test-admin-token-0123456789";
const START = "2026-03-10T12:00:00.000Z";
const logger = createLogger({ level: "silent", format: "json", secrets: [] });

/**
 * Instants a JavaScript Date cannot hold. PostgreSQL's timestamptz takes `infinity`,
 * `-infinity` and years up to 294276; SQLite takes any integer, and rows written before
 * migration 0004 may hold one. Reading such a row must not fail, and an end of infinity is
 * open-ended. As SQL literals, per dialect:
 */
const LITERALS = {
  pg: { inf: "'infinity'", negInf: "'-infinity'", beyond: "'290000-01-01 00:00:00+00'" },
  sqlite: { inf: "9000000000000000000", negInf: "-9000000000000000000", beyond: "8640000000000001" },
};

describeEachDialect("instants a JavaScript Date cannot hold", (dialect, makeDb) => {
  let t: TestDb;
  let app: App;
  let clock: FakeClock;
  const lit = LITERALS[dialect];

  beforeEach(async () => {
    clock = new FakeClock(START);
    t = await makeDb();
    if (dialect === "sqlite") {
      // As a database from before migration 0004, which refuses such writes (tested below).
      const triggers = await t.db.sql.all<Row>(
        "select name from sqlite_master where type = 'trigger' and name like '%in_range%'",
      );
      for (const row of triggers) await t.db.sql.run(`drop trigger \`${row.name}\``);
    }
    app = testApp([lifecycleDefinition(), videoDefinition()], {
      clock,
      env: {
        DATABASE_URL: t.url,
        ADMIN_TOKEN: TOKEN,
        LIFECYCLE_SCHEDULER_ENABLED: "false",
        VIDEO_SCHEDULER_ENABLED: "false",
      },
    }).app;
    await app.start();
  });
  afterEach(async () => {
    await app.stop();
    await t.cleanup();
  });

  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${app.port}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const videoPass = () =>
    new VideoPass({
      sql: t.db.sql,
      clock,
      logger,
      config: {
        enabled: true,
        intervalMs: 300_000,
        rotationIntervalMs: 3_600_000,
        archiveAfterMs: 0,
        notificationsEnabled: true,
        rotationNotices: false,
      },
      enqueue: enqueueEmail,
      random: () => 0.5,
      actor: "steward:test",
    }).run(new AbortController().signal);

  it("shows a video whose end is infinity (open-ended) and reads it back without a 500", async () => {
    await t.db.sql.run("insert into portraits (id, title, owner_email) values ('p', 'P', 'p@example.com')");
    await t.db.sql.run(
      `insert into videos (id, portrait_id, start_at, end_at, is_shown) values ('v', 'p', ?, ${lit.inf}, ?)`,
      [new Date(Date.parse(START) - 3_600_000), false],
    );
    const summary = await videoPass();
    expect(summary.changes.schedule_activation).toBe(1);
    const row = await t.db.sql.get<Row>("select is_shown from videos where id = 'v'");
    expect(toBool(row?.is_shown)).toBe(true);
    // Still shown a pass later: with ARCHIVE_AFTER 0, an end read as a past time would archive it.
    clock.set(new Date(Date.parse(START) + 86_400_000));
    expect((await videoPass()).changes).toMatchObject({ archive: 0, schedule_deactivation: 0 });

    const read = await get("/videos/v");
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ endAt: "infinity", shown: true, eligible: true, state: "shown" });
  });

  it("reads projects, portraits and videos holding such instants, rendered as infinity or -infinity", async () => {
    await t.db.sql.run(`insert into projects (id, name, subscription_end) values ('far', 'Far', ${lit.beyond})`);
    await t.db.sql.run(`insert into portraits (id, subscription_end) values ('gone', ${lit.negInf})`);
    await t.db.sql.run(
      `insert into portraits (id, project_id, subscription_end) values ('forever', 'far', ${lit.inf})`,
    );
    await t.db.sql.run(
      `insert into videos (id, portrait_id, start_at, end_at, is_shown) values ('w', 'gone', ${lit.negInf}, ${lit.beyond}, ?)`,
      [false],
    );
    // The passes read them too; neither may fail on them.
    const lifecycle = await new LifecyclePass({
      sql: t.db.sql,
      clock,
      logger,
      config: { enabled: true, intervalMs: 3_600_000, notificationsEnabled: true, expiredNoticeDays: 30 },
      enqueue: enqueueEmail,
    }).run(new AbortController().signal);
    expect(lifecycle).toMatchObject({ failed: 0, notices: { "7day": 0, "24hour": 0, expired: 0 } });
    expect(lifecycle.statusChanges.portrait.archived).toBe(1);
    expect((await videoPass()).failedPortraits).toBe(0);

    const project = await get("/projects/far");
    expect(project).toMatchObject({ status: 200, body: { subscriptionEnd: "infinity", lifecycleStatus: "active" } });
    const gone = await get("/portraits/gone");
    expect(gone).toMatchObject({ status: 200, body: { subscriptionEnd: "-infinity", lifecycleStatus: "archived" } });
    const forever = await get("/portraits/forever");
    expect(forever).toMatchObject({ status: 200, body: { subscriptionEnd: "infinity", lifecycleStatus: "active" } });
    const video = await get("/videos/w");
    expect(video).toMatchObject({ status: 200, body: { startAt: "-infinity", endAt: "infinity", shown: true } });
  });
});

describe("SQLite instant columns refuse what a Date cannot hold", () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await sqliteTestDb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("on insert and on update, with the column named", async () => {
    const run = (text: string, params: unknown[] = []) => t.db.sql.run(text, params);
    const huge = 9e18;
    await expect(run("insert into projects (id, name, subscription_end) values ('p', 'P', ?)", [huge])).rejects.toThrow(
      "projects.subscription_end is out of range",
    );
    await expect(run("insert into portraits (id, subscription_end) values ('q', ?)", [-huge])).rejects.toThrow(
      "portraits.subscription_end is out of range",
    );
    // The largest instant a Date holds is accepted; one millisecond more is not.
    await run("insert into portraits (id, subscription_end) values ('q', 8640000000000000)");
    await expect(run("update portraits set subscription_end = 8640000000000001 where id = 'q'")).rejects.toThrow(
      "portraits.subscription_end is out of range",
    );
    await expect(run("insert into videos (id, portrait_id, start_at) values ('v', 'q', ?)", [huge])).rejects.toThrow(
      "videos.start_at is out of range",
    );
    await run("insert into videos (id, portrait_id, start_at) values ('v', 'q', -8640000000000000)");
    await expect(run("update videos set end_at = ? where id = 'v'", [huge])).rejects.toThrow(
      "videos.end_at is out of range",
    );
    await expect(
      run("insert into email_jobs (to_addrs, subject, text_body, run_at) values ('[\"a@example.com\"]', 's', 't', ?)", [
        huge,
      ]),
    ).rejects.toThrow("CHECK constraint failed: run_at is out of range"); // a CHECK since sqlite 0019
    const rows = await t.db.sql.all<Row>(
      "select id, subscription_end as at from portraits union all select id, start_at from videos",
    );
    expect(rows).toEqual([
      { id: "q", at: 8_640_000_000_000_000 },
      { id: "v", at: -8_640_000_000_000_000 },
    ]);
  });
});
