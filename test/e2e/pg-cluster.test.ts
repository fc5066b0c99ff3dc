import { afterEach, expect, it } from "vitest";
import { describePg, pgTestDb, type TestDb, tempDir } from "../helpers/db.js";
import { baseEnv, StewardProcess } from "../helpers/steward-process.js";

describePg("several processes on one PostgreSQL", () => {
  let t: TestDb | undefined;
  let procs: StewardProcess[] = [];
  afterEach(async () => {
    await Promise.all(procs.map((p) => p.stop(5_000)));
    procs = [];
    await t?.cleanup();
  });

  it("migrate exactly once when three start at once, and all become ready", async () => {
    t = await pgTestDb();
    // Empty the schema the helper migrated, so the three processes race to migrate it.
    const schema = new URL(t.url).searchParams.get("options")?.split("=")[1] ?? "";
    // The schema is dropped whole, not table by table: the migrations also made trigger functions.
    await t.db.sql.run(`drop schema "${schema}" cascade`);
    await t.db.sql.run(`create schema "${schema}"`);

    procs = ["a", "b", "c"].map(
      (id) => new StewardProcess({ env: baseEnv({ DATABASE_URL: t?.url ?? "", INSTANCE_ID: id }), cwd: tempDir() }),
    );
    const ports = await Promise.all(procs.map((p) => p.ready()));
    const migrated = await Promise.all(procs.map((p) => p.waitForLog((l) => l.msg === "database ready")));
    const applied = migrated.map((l) => Number(l.applied));
    const total = Number(migrated[0]?.total);
    expect(total).toBeGreaterThan(0);
    expect(applied.sort()).toEqual([0, 0, total]);
    const rows = await t.db.sql.all("select hash from steward_migrations");
    expect(rows).toHaveLength(total);
    for (const [i, port] of ports.entries()) {
      expect((await procs[i]?.get(port, "/readyz"))?.status).toBe(200);
    }
    // Every process registered itself where the others (and `steward status`) can see it.
    const alive = await t.db.sql.all<{ id: string }>("select id from instances where stopped_at is null order by id");
    expect(alive.map((i) => i.id)).toEqual(["a", "b", "c"]);
  });
});
