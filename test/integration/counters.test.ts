import { afterEach, beforeEach, expect, it } from "vitest";
import { addCounts, CounterStore } from "../../src/db/coordination/counters.js";
import type { Database } from "../../src/db/open.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";

describeEachDialect("counters", (dialect, makeDb) => {
  let t: TestDb;
  let handles: Database[];
  beforeEach(async () => {
    t = await makeDb();
    handles = [t.db, await t.another(), await t.another()];
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("adds in the caller's transaction: a rollback adds nothing, a commit adds exactly", async () => {
    const counters = new CounterStore(t.db.sql);
    await t.db.sql.tx((tx) => addCounts(tx, { "email.pending": 3, "email.sent": 0 }));
    await t.db.sql
      .tx(async (tx) => {
        await addCounts(tx, { "email.pending": 100 });
        throw new Error("roll back");
      })
      .catch(() => {});
    await t.db.sql.tx((tx) => addCounts(tx, { "email.pending": -1, "email.sent": 1, "projects.active": 7 }));
    expect(await counters.read("email.")).toEqual({ pending: 2, sent: 1 });
    expect(await counters.read("projects.")).toEqual({ active: 7 });
    expect(await counters.read("videos.")).toEqual({});
  });

  it("stays exact under concurrent writers from several connections, before and after a fold", async () => {
    // Each connection adds to two counters in opposite orders, 50 times, all at once: on
    // PostgreSQL one hot row would serialize them (or deadlock on the opposite orders). SQLite
    // connections in one process cannot hold async transactions at once (the busy wait blocks
    // the thread that would commit), so there they take turns: the sums are what is checked.
    const writers = dialect === "pg" ? handles : handles.slice(0, 1);
    const rounds = dialect === "pg" ? 50 : 150;
    await Promise.all(
      writers.map((h, i) =>
        (async () => {
          for (let k = 0; k < rounds; k += 1) {
            const flip = (k + i) % 2 === 0;
            const deltas = flip ? { "x.a": 1, "x.b": 2 } : { "x.b": 2, "x.a": 1 };
            await h.sql.tx((tx) => addCounts(tx, deltas));
          }
        })(),
      ),
    );
    const counters = new CounterStore(t.db.sql);
    expect(await counters.read("x.")).toEqual({ a: 150, b: 300 });
    const folded = await counters.fold();
    if (dialect === "pg") expect(folded).toBeGreaterThan(0);
    else expect(folded).toBe(0);
    expect(await counters.read("x.")).toEqual({ a: 150, b: 300 });
    const rows = await t.db.sql.all<{ shard: unknown }>("select shard from counters where name like 'x.%'");
    expect(rows.map((r) => Number(r.shard))).toEqual([0, 0]);
  });

  it("recounts from the table and zeroes a key no row holds any more", async () => {
    await t.db.sql.run("insert into settings (key, value, updated_at) values ('a', '1', ?), ('b', '2', ?)", [
      new Date(),
      new Date(),
    ]);
    await t.db.sql.tx((tx) => addCounts(tx, { "settings.a": 5, "settings.gone": 4 }));
    const counters = new CounterStore(t.db.sql);
    const exact = await counters.recount(
      {
        prefix: "settings.",
        table: "settings",
        countSql: "select key, count(*) as n from settings group by key",
        keys: ["a", "b", "gone"],
      },
      new Date(),
    );
    expect(exact).toEqual({ a: 1, b: 1, gone: 0 });
    expect(await counters.read("settings.")).toEqual({ a: 1, b: 1, gone: 0 });
  });
});
