import { readMigrationFiles } from "drizzle-orm/migrator";
import { afterEach, beforeEach, expect, it } from "vitest";
import { CounterStore } from "../../src/db/coordination/counters.js";
import { migrate, migrationsFolder } from "../../src/db/migrate.js";
import type { Sql } from "../../src/db/sql.js";
import { toNumber } from "../../src/db/sql.js";
import { LIFECYCLE_COUNTERS } from "../../src/services/lifecycle/counters.js";
import { lifecycleDefinition } from "../../src/services/lifecycle/definition.js";
import { LifecycleStore } from "../../src/services/lifecycle/store.js";
import { VIDEO_COUNTERS } from "../../src/services/video/counters.js";
import { videoDefinition } from "../../src/services/video/definition.js";
import { VideoStore } from "../../src/services/video/store.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { testApp } from "../helpers/app.js";
import { runCliHere } from "../helpers/cli.js";
import { CountingSql } from "../helpers/counting-sql.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";
import { waitFor } from "../helpers/wait.js";

const SETS = [...LIFECYCLE_COUNTERS, ...VIDEO_COUNTERS];
const TOKEN = "test-admin-token-0123456789";

/**
 * The lifecycle and video counters (drizzle/sqlite/0007, drizzle/pg/0004): kept by triggers
 * through every insert, update and delete, started from the rows there at migration, read by
 * the schedulers' status instead of a count, and repaired by `steward doctor recount`.
 */
describeEachDialect("lifecycle and video counters", (dialect, makeDb) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await makeDb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** What each counter says, beside what counting the tables says. */
  async function both(sql: Sql = t.db.sql): Promise<{ kept: Record<string, number>; counted: Record<string, number> }> {
    const store = new CounterStore(sql);
    const kept: Record<string, number> = {};
    const counted: Record<string, number> = {};
    for (const set of SETS) {
      for (const key of set.keys) counted[set.prefix + key] = 0;
      // The subjects' counts do not depend on the time: their countSql is text.
      for (const row of await sql.all<{ key: string; n: unknown }>(set.countSql as string)) {
        counted[set.prefix + row.key] = toNumber(row.n);
      }
      for (const [key, n] of Object.entries(await store.read(set.prefix))) kept[set.prefix + key] = n;
    }
    return { kept, counted };
  }

  async function expectExact(): Promise<Record<string, number>> {
    const { kept, counted } = await both();
    expect(kept).toEqual(counted);
    return kept;
  }

  const ts = new Date("2026-03-10T12:00:00Z");
  async function fill(sql: Sql = t.db.sql): Promise<void> {
    await sql.run(
      `insert into projects (id, name, lifecycle_status, created_at, updated_at)
       values ('pr1', 'P1', 'active', ?, ?), ('pr2', 'P2', 'expiring', ?, ?)`,
      [ts, ts, ts, ts],
    );
    await sql.run(
      `insert into portraits (id, project_id, lifecycle_status, created_at, updated_at)
       values ('a', 'pr1', 'active', ?, ?), ('b', 'pr1', 'expiring', ?, ?), ('c', null, 'archived', ?, ?)`,
      [ts, ts, ts, ts, ts, ts],
    );
    await sql.run(
      `insert into videos (id, portrait_id, status, is_shown, created_at, updated_at)
       values ('v1', 'a', 'active', ?, ?, ?), ('v2', 'a', 'active', ?, ?, ?), ('v3', 'b', 'inactive', ?, ?, ?),
              ('v4', 'b', 'archived', ?, ?, ?), ('v5', 'c', 'active', ?, ?, ?)`,
      [true, ts, ts, false, ts, ts, false, ts, ts, false, ts, ts, true, ts, ts],
    );
    await sql.run(
      `insert into lifecycle_notices (subject_type, subject_id, kind, subscription_end, created_at)
       values ('portrait', 'a', '7day', ?, ?), ('portrait', 'a', '24hour', ?, ?), ('project', 'pr2', '7day', ?, ?)`,
      [ts, ts, ts, ts, ts, ts],
    );
  }

  it("keeps every counter exact through inserts, updates, deletes and cascades", async () => {
    expect(await expectExact()).toMatchObject({ "lifecycle.portrait.active": 0, "video.shown": 0 });
    await fill();
    expect(await expectExact()).toMatchObject({
      "lifecycle.project.active": 1,
      "lifecycle.project.expiring": 1,
      "lifecycle.portrait.active": 1,
      "lifecycle.portrait.expiring": 1,
      "lifecycle.portrait.archived": 1,
      "lifecycle.notices.7day": 2,
      "lifecycle.notices.24hour": 1,
      "video.shown": 2,
      "video.hidden": 2,
      "video.archived": 1,
    });
    // Status changes, several rows in one statement, and an update that leaves the status alone.
    await t.db.sql.run("update portraits set lifecycle_status = 'archived' where id in ('a', 'b')");
    await t.db.sql.run("update portraits set title = 'renamed', lifecycle_status = lifecycle_status");
    await t.db.sql.run("update projects set lifecycle_status = 'active'");
    // A rotation (hide one, show the next), an archive of a shown video, a status flip.
    await t.db.sql.run("update videos set is_shown = ? where id = 'v1'", [false]);
    await t.db.sql.run("update videos set is_shown = ? where id = 'v2'", [true]);
    await t.db.sql.run("update videos set status = 'archived' where id = 'v5'");
    await t.db.sql.run("update videos set status = 'active' where id = 'v3'");
    await t.db.sql.run("update lifecycle_notices set kind = 'expired' where kind = '24hour'");
    expect(await expectExact()).toMatchObject({
      "lifecycle.project.active": 2,
      "lifecycle.project.expiring": 0,
      "lifecycle.portrait.archived": 3,
      "lifecycle.portrait.active": 0,
      "lifecycle.notices.expired": 1,
      "lifecycle.notices.24hour": 0,
      "video.shown": 1,
      "video.archived": 2,
    });
    // Deleting a portrait deletes its videos by cascade; deleting a project only unlinks its portraits.
    await t.db.sql.run("delete from portraits where id = 'a'");
    await t.db.sql.run("delete from projects where id = 'pr1'");
    await t.db.sql.run("delete from lifecycle_notices where subject_type = 'project'");
    expect(await expectExact()).toMatchObject({
      "lifecycle.project.active": 1,
      "lifecycle.portrait.archived": 2,
      "lifecycle.notices.7day": 1,
      "video.shown": 0,
      "video.hidden": 1,
      "video.archived": 2,
    });
  });

  it("adds nothing for a rolled-back change", async () => {
    await fill();
    await t.db.sql
      .tx(async (tx) => {
        await tx.run("update portraits set lifecycle_status = 'active'");
        await tx.run("delete from videos");
        throw new Error("roll back");
      })
      .catch(() => {});
    expect(await expectExact()).toMatchObject({ "lifecycle.portrait.active": 1, "video.shown": 2 });
  });

  it("stays exact with writers on several connections, and after a fold", async () => {
    await fill();
    // SQLite connections of one process cannot hold async transactions at once (see
    // counters.test.ts); there the writers take turns and the sums are what is checked.
    const handles = dialect === "pg" ? [t.db, await t.another(), await t.another()] : [t.db];
    await Promise.all(
      handles.map((h, i) =>
        (async () => {
          for (let k = 0; k < 20; k += 1) {
            const id = `w${i}-${k}`;
            await h.sql.tx(async (tx) => {
              await tx.run(
                "insert into portraits (id, lifecycle_status, created_at, updated_at) values (?, 'active', ?, ?)",
                [id, ts, ts],
              );
              await tx.run(
                "insert into videos (id, portrait_id, is_shown, created_at, updated_at) values (?, ?, ?, ?, ?)",
                [`${id}-v`, id, true, ts, ts],
              );
              // Opposite directions on alternate rounds: one hot row would serialize or deadlock them.
              await tx.run("update portraits set lifecycle_status = ? where id = 'c'", [k % 2 ? "archived" : "active"]);
            });
          }
        })(),
      ),
    );
    const kept = await expectExact();
    expect(kept["lifecycle.portrait.active"]).toBe(1 + 20 * handles.length);
    expect(kept["video.shown"]).toBe(2 + 20 * handles.length);
    const folded = await new CounterStore(t.db.sql).fold();
    if (dialect === "pg") expect(folded).toBeGreaterThan(0);
    await expectExact();
    const shards = await t.db.sql.all<{ shard: unknown }>(
      "select distinct shard from counters where name like 'video.%'",
    );
    expect(shards.map((r) => toNumber(r.shard))).toEqual([0]);
  });

  it("starts the counters from the rows already there when the migration runs", async () => {
    const migration = readMigrationFiles({ migrationsFolder: migrationsFolder(dialect) }).find((m) =>
      m.sql.some((s) => s.includes("_count_insert")),
    );
    expect(migration).toBeDefined();
    // Back to the schema before it: no triggers, no counters, rows written meanwhile.
    if (dialect === "pg") {
      for (const table of ["projects", "portraits", "lifecycle_notices", "videos"]) {
        await t.db.sql.run(`drop function steward_count_${table}() cascade`);
      }
    } else {
      const triggers = await t.db.sql.all<{ name: string }>(
        // The subjects' own: the email queue's counting triggers (another migration) stay.
        "select name from sqlite_master where type = 'trigger' and name like '%_count_%' and tbl_name in ('projects', 'portraits', 'lifecycle_notices', 'videos')",
      );
      expect(triggers).toHaveLength(12);
      for (const { name } of triggers) await t.db.sql.run(`drop trigger \`${name}\``);
    }
    await t.db.sql.run("delete from counters");
    await t.db.sql.run("delete from steward_migrations where hash = ?", [migration?.hash]);
    await fill();
    expect((await both()).kept).toEqual({});
    expect(await migrate(t.db)).toMatchObject({ applied: 1 });
    const kept = await expectExact();
    expect(kept).toMatchObject({ "lifecycle.portrait.active": 1, "video.shown": 2, "lifecycle.project.archived": 0 });
    // And the triggers are back.
    await t.db.sql.run("delete from videos");
    expect(await expectExact()).toMatchObject({ "video.shown": 0, "video.hidden": 0, "video.archived": 0 });
  });

  it("the status reads counters: no count over the subject, notice or video tables", async () => {
    await fill();
    const sql = new CountingSql(t.db.sql);
    const lifecycle = new LifecycleStore(sql);
    expect(await lifecycle.statusCounts("portrait")).toEqual({ active: 1, expiring: 1, archived: 1 });
    expect(await lifecycle.statusCounts("project")).toEqual({ active: 1, expiring: 1, archived: 0 });
    expect(await lifecycle.noticeTotals()).toEqual({ "7day": 2, "24hour": 1, expired: 0 });
    const video = new VideoStore(sql);
    expect(await video.stateCounts()).toEqual({ shown: 2, hidden: 2, archived: 1 });
    expect(sql.log.statements.length).toBeGreaterThan(0);
    for (const statement of sql.log.statements) {
      expect(statement).toMatch(/from counters/);
      expect(statement).not.toMatch(/count\(|portraits|projects|videos|lifecycle_notices/);
    }
  });

  it("the running services' status shows what the counters say", async () => {
    await fill();
    // Rows without a subscription end are active: the pass at start then has nothing to change.
    await t.db.sql.run("update projects set lifecycle_status = 'active'");
    await t.db.sql.run("update portraits set lifecycle_status = 'active'");
    // Marked values no count of the tables could give: the status can only have them from the counters.
    await t.db.sql.run("update counters set n = n + 1000 where name = 'video.hidden' and shard = 0");
    await t.db.sql.run("update counters set n = n + 2000 where name = 'lifecycle.notices.expired' and shard = 0");
    const { app } = testApp([lifecycleDefinition(), videoDefinition()], {
      clock: new FakeClock("2026-03-10T12:00:00Z"),
      env: { DATABASE_URL: t.url, ADMIN_TOKEN: TOKEN, LIFECYCLE_NOTIFICATIONS_ENABLED: "false" },
    });
    await app.start();
    try {
      const details = (name: string) => async () => {
        const response = await fetch(`http://127.0.0.1:${app.port}/status/${name}`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        const body = (await response.json()) as { details: Record<string, unknown> | null };
        return body.details;
      };
      const video = await waitFor(async () => ((await details("video")())?.videos ? details("video")() : null), {
        what: "the video counts",
      });
      expect(video?.videos).toEqual({ shown: 2, hidden: 1002, archived: 1 });
      const lifecycle = await waitFor(
        async () => ((await details("lifecycle")())?.statuses ? details("lifecycle")() : null),
        {
          what: "the lifecycle counts",
        },
      );
      expect(lifecycle?.statuses).toEqual({
        project: { active: 2, expiring: 0, archived: 0 },
        portrait: { active: 3, expiring: 0, archived: 0 },
      });
      expect((lifecycle?.notices as { total: unknown } | undefined)?.total).toEqual({
        "7day": 2,
        "24hour": 1,
        expired: 2000,
      });
    } finally {
      await app.stop();
    }
  });

  it("`steward doctor recount` repairs a tampered counter, and says which", async () => {
    await fill();
    await t.db.sql.run("update counters set n = n + 5 where name = 'lifecycle.portrait.active' and shard = 0");
    await t.db.sql.run("delete from counters where name = 'video.hidden'");
    const tampered = await both();
    expect(tampered.kept).not.toEqual(tampered.counted);
    const cwd = tempDir();
    const env = { DATABASE_URL: t.url, DATA_DIR: cwd };
    const run = await runCliHere(["doctor", "recount"], { env, cwd });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/lifecycle\.portrait\.active\s+6\s+1 \(fixed\)/);
    expect(run.stdout).toMatch(/video\.hidden\s+0\s+2 \(fixed\)/);
    expect(run.stdout).toMatch(/, 2 had drifted/);
    await expectExact();
    const again = JSON.parse((await runCliHere(["doctor", "recount", "--json"], { env, cwd })).stdout) as {
      counters: Array<{ name: string; was: number; now: number }>;
    };
    expect(again.counters.filter((c) => c.was !== c.now)).toEqual([]);
    expect(again.counters.map((c) => c.name)).toContain("lifecycle.notices.expired");
  });

  it("POST /doctor/recount repairs the same counters as the command, admin only", async () => {
    await fill();
    await t.db.sql.run("update counters set n = n + 5 where name = 'lifecycle.portrait.active' and shard = 0");
    // The schedulers' definitions name the counters; their loops stay off, so no pass changes a row.
    const { app } = testApp([lifecycleDefinition(), videoDefinition()], {
      env: {
        DATABASE_URL: t.url,
        ADMIN_TOKEN: TOKEN,
        LIFECYCLE_SCHEDULER_ENABLED: "false",
        VIDEO_SCHEDULER_ENABLED: "false",
      },
    });
    await app.start();
    try {
      const recount = (token: string | null) =>
        fetch(`http://127.0.0.1:${app.port}/doctor/recount`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: "{}",
        });
      expect((await recount(null)).status).toBe(401);
      const answer = await recount(TOKEN);
      expect(answer.status).toBe(200);
      const body = (await answer.json()) as {
        counters: Array<{ name: string; was: number; now: number }>;
        drifted: number;
      };
      expect(body.drifted).toBe(1);
      expect(body.counters.filter((c) => c.was !== c.now)).toEqual([
        { name: "lifecycle.portrait.active", was: 6, now: 1 },
      ]);
      await expectExact();
    } finally {
      await app.stop();
    }
  });
});
