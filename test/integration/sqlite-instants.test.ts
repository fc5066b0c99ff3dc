import { readMigrationFiles } from "drizzle-orm/migrator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate, migrationsFolder } from "../../src/db/migrate.js";
import { sqliteTestDb, type TestDb } from "../helpers/db.js";

/**
 * The shared-database contract on SQLite: instants are integer milliseconds. A host app that
 * writes an ISO string is refused with the column named, instead of a row that never falls due.
 */
describe("SQLite instant columns written by a host app", () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await sqliteTestDb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const iso = "2026-12-01T00:00:00Z";
  const ms = Date.parse(iso);

  it("refuses text in subscription_end, start_at and end_at, on insert and on update", async () => {
    const run = (text: string, params: unknown[]) => t.db.sql.run(text, params);
    await expect(run("insert into projects (id, name, subscription_end) values ('p', 'P', ?)", [iso])).rejects.toThrow(
      "projects.subscription_end must be an instant in integer milliseconds",
    );
    await expect(run("insert into portraits (id, subscription_end) values ('q', ?)", [iso])).rejects.toThrow(
      "portraits.subscription_end must be",
    );
    await run("insert into portraits (id, subscription_end) values ('q', ?)", [ms]);
    await expect(run("update portraits set subscription_end = ? where id = 'q'", [iso])).rejects.toThrow(
      "portraits.subscription_end must be",
    );
    await expect(run("insert into videos (id, portrait_id, start_at) values ('v', 'q', ?)", [iso])).rejects.toThrow(
      "videos.start_at must be",
    );
    await run("insert into videos (id, portrait_id, start_at, end_at) values ('v', 'q', ?, null)", [ms]);
    await expect(run("update videos set end_at = ? where id = 'v'", [iso])).rejects.toThrow("videos.end_at must be");
    const rows = await t.db.sql.all<{ id: string; end: unknown }>(
      "select id, subscription_end as end from portraits union all select id, end_at from videos",
    );
    expect(rows).toEqual([
      { id: "q", end: ms },
      { id: "v", end: null },
    ]);
  });

  it("turns text instants already written before the migration into the instants they name", async () => {
    // As a database from before migration 0001: no triggers, ISO text already in place, and
    // the conversion (0003) not yet run.
    const sql = t.db.sql;
    for (const row of await sql.all<{ name: string }>("select name from sqlite_master where type = 'trigger'")) {
      await sql.run(`drop trigger \`${row.name}\``);
    }
    const migrations = readMigrationFiles({ migrationsFolder: migrationsFolder("sqlite") });
    const instants = migrations.find((m) => m.sql.some((statement) => statement.includes("_is_instant_")));
    const conversion = migrations.find((m) => m.sql.some((statement) => /^UPDATE .*julianday/s.test(statement.trim())));
    await sql.run("delete from steward_migrations where hash in (?, ?)", [instants?.hash, conversion?.hash]);
    await sql.run("insert into portraits (id, subscription_end) values ('a', '2026-12-01T00:00:00Z')");
    await sql.run("insert into portraits (id, subscription_end) values ('b', '2026-12-01T02:30:00.250+02:00')");
    await sql.run("insert into portraits (id, subscription_end) values ('c', 'next tuesday')");
    await sql.run(
      "insert into videos (id, portrait_id, start_at, end_at) values ('v', 'a', '2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z')",
    );
    expect(await migrate(t.db)).toMatchObject({ applied: 2 });
    const rows = await sql.all<{ id: string; end: unknown }>(
      "select id, subscription_end as end from portraits union all select id, start_at from videos union all select id || '-end', end_at from videos order by id",
    );
    expect(rows).toEqual([
      { id: "a", end: ms },
      { id: "b", end: Date.parse("2026-12-01T00:30:00.250Z") },
      { id: "c", end: "next tuesday" },
      { id: "v", end: Date.parse("2026-11-01T00:00:00Z") },
      { id: "v-end", end: ms },
    ]);
    // And from now on the triggers refuse text.
    await expect(sql.run("update portraits set subscription_end = 'soon' where id = 'a'")).rejects.toThrow(
      "portraits.subscription_end must be",
    );
  });

  it("accepts integer text, which the column's integer affinity stores as a number", async () => {
    await t.db.sql.run("insert into projects (id, name, subscription_end) values ('p', 'P', ?)", [String(ms)]);
    const row = await t.db.sql.get<{ type: string }>("select typeof(subscription_end) as type from projects");
    expect(row?.type).toBe("integer");
  });
});
