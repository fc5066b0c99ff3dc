import pg from "pg";
import { afterEach, beforeEach, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.js";
import { PgSql, prepared } from "../../src/db/pg-sql.js";
import { fromJson, toBool, toDate } from "../../src/db/sql.js";
import { describeEachDialect, describePg, TEST_DATABASE_URL, type TestDb } from "../helpers/db.js";

describeEachDialect("sql executor", (_dialect, makeDb) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await makeDb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("round-trips instants, booleans and JSON", async () => {
    const at = new Date("2026-03-29T01:30:00.123+02:00");
    await t.db.sql.run("insert into settings (key, value, updated_at) values (?, ?, ?)", [
      "k",
      JSON.stringify({ a: [1] }),
      at,
    ]);
    const row = await t.db.sql.get<{ value: unknown; updated_at: unknown }>("select value, updated_at from settings");
    expect(toDate(row?.updated_at)?.toISOString()).toBe("2026-03-28T23:30:00.123Z");
    expect(fromJson(row?.value, null)).toEqual({ a: [1] });
    await t.db.sql.run(
      "insert into instances (id, hostname, pid, version, started_at, heartbeat_at) values (?, ?, ?, ?, ?, ?)",
      ["i", "h", 1, "v", at, at],
    );
    const later = await t.db.sql.all("select id from instances where heartbeat_at > ?", [new Date(at.getTime() - 1)]);
    expect(later).toHaveLength(1);
    expect(toBool(true)).toBe(true);
    expect(toBool(1)).toBe(true);
    expect(toBool(0)).toBe(false);
  });

  it("rolls a failed transaction back and commits a good one", async () => {
    await expect(
      t.db.sql.tx(async (tx) => {
        await tx.run("insert into settings (key, value, updated_at) values ('a', '1', ?)", [new Date()]);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    await t.db.sql.tx(async (tx) => {
      await tx.run("insert into settings (key, value, updated_at) values ('b', '2', ?)", [new Date()]);
    });
    const keys = await t.db.sql.all<{ key: string }>("select key from settings order by key");
    expect(keys.map((k) => k.key)).toEqual(["b"]);
  });

  it("keeps other statements out of an open transaction", async () => {
    let inside: () => void = () => {};
    const gate = new Promise<void>((r) => {
      inside = r;
    });
    let began: () => void = () => {};
    const open = new Promise<void>((r) => {
      began = r;
    });
    const tx = t.db.sql.tx(async (q) => {
      await q.run("insert into settings (key, value, updated_at) values ('tx', '1', ?)", [new Date()]);
      began();
      await gate;
      throw new Error("roll back");
    });
    // Issued while the transaction is open; must not become part of it.
    await open;
    let outsideDone = false;
    const outside = t.db.sql
      .run("insert into settings (key, value, updated_at) values ('outside', '1', ?)", [new Date()])
      .then(() => {
        outsideDone = true;
      });
    // On SQLite the outside statement must wait for the transaction (the in-process mutex);
    // on PostgreSQL it runs on another pooled connection. Either way it stays out of the tx.
    for (let i = 0; i < 20; i += 1) await new Promise((r) => setImmediate(r));
    if (t.db.dialect === "sqlite") expect(outsideDone).toBe(false);
    inside();
    await expect(tx).rejects.toThrow("roll back");
    await outside;
    const keys = await t.db.sql.all<{ key: string }>("select key from settings order by key");
    expect(keys.map((k) => k.key)).toEqual(["outside"]);
  });

  it("runs a prepared statement again after another process changed its table's columns", async () => {
    // Unique text: the name is per process, the plan per connection.
    const text = prepared(`select * from settings where key = ? -- ${Math.random()}`);
    await t.db.sql.run("insert into settings (key, value, updated_at) values ('k', '1', ?)", [new Date()]);
    expect(await t.db.sql.all(text, ["k"])).toHaveLength(1);
    const other = await t.another();
    await other.sql.run("alter table settings add column extra integer");
    // Every pooled connection may hold the old plan; one call goes to whichever is idle.
    for (let i = 0; i < 3; i += 1) expect((await t.db.sql.get(text, ["k"]))?.key).toBe("k");
  });

  it("migrates idempotently", async () => {
    const again = await migrate(t.db);
    expect(again.applied).toBe(0);
    expect(again.total).toBeGreaterThan(0);
  });

  it("enforces the hand-checked status values", async () => {
    await expect(
      t.db.sql.run("insert into service_state (service, state, updated_at) values ('x', 'bogus', ?)", [new Date()]),
    ).rejects.toThrow(/check/i);
  });
});

describePg("sql executor, prepared statements behind a pooler [pg]", () => {
  it("runs a prepared statement unnamed once the server connection no longer has its name", async () => {
    // One connection, so the DEALLOCATE below reaches the connection that prepared the name.
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
    try {
      const sql = new PgSql(pool);
      const text = prepared(`select ?::int + 1 as n -- ${Math.random()}`);
      expect(await sql.get(text, [1])).toEqual({ n: 2 });
      // What a pooler in transaction mode does to a client: the next server connection has
      // never seen the name the client believes it prepared.
      await pool.query("deallocate all");
      expect(await sql.get(text, [2])).toEqual({ n: 3 });
      expect(await sql.get(text, [3])).toEqual({ n: 4 });
    } finally {
      await pool.end();
    }
  });
});
