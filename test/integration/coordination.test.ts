import { afterEach, beforeEach, expect, it } from "vitest";
import { Lease, LeaseStore } from "../../src/db/coordination/leases.js";
import { SqlServiceStateStore } from "../../src/db/coordination/service-state.js";
import { TickClaimStore } from "../../src/db/coordination/tick-claims.js";
import type { Database } from "../../src/db/open.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";

describeEachDialect("coordination", (_dialect, makeDb) => {
  let t: TestDb;
  let handles: Database[];
  beforeEach(async () => {
    t = await makeDb();
    // Three independent connections: three "processes" racing.
    handles = [t.db, await t.another(), await t.another()];
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("lets exactly one of three contenders hold a lease at any moment", async () => {
    const start = Date.parse("2026-01-01T00:00:00Z");
    const stores = handles.map((h) => new LeaseStore(h.sql));
    for (let round = 0; round < 40; round += 1) {
      // Time moves 4 s a round against a 10 s TTL: the holder keeps renewing, the others never get in.
      const now = new Date(start + round * 4_000);
      const wins = await Promise.all(stores.map((s, i) => s.acquire("lifecycle", `p${i}`, 10_000, now)));
      expect(wins.filter(Boolean)).toHaveLength(1);
      const holder = await stores[0]?.get("lifecycle");
      expect(holder?.holder).toBe(`p${wins.indexOf(true)}`);
    }
  });

  it("passes the lease on when its holder stops renewing, not before the TTL", async () => {
    const clock = new FakeClock("2026-01-01T00:00:00Z");
    const [a, b] = handles.map((h, i) => new Lease(new LeaseStore(h.sql), "video", `p${i}`, 30_000, clock));
    expect(await a?.acquire()).toBe(true);
    expect(await b?.acquire()).toBe(false);
    await clock.advance(29_999);
    expect(await b?.acquire()).toBe(false);
    await clock.advance(1);
    expect(await b?.acquire()).toBe(true);
    expect(a?.held).toBe(false);
    expect(await a?.acquire()).toBe(false);
    await b?.release();
    expect(await a?.acquire()).toBe(true);
  });

  it("claims each of 100 ticks exactly once across three racing processes", async () => {
    const stores = handles.map((h) => new TickClaimStore(h.sql));
    const ticks = Array.from({ length: 100 }, (_, i) => new Date(Date.UTC(2026, 0, 1, 2, i)));
    const wins = await Promise.all(
      stores.map(async (store, i) => {
        const mine: number[] = [];
        for (const [n, tick] of ticks.entries()) {
          if (await store.claim("backup:database", tick, `p${i}`, new Date())) mine.push(n);
        }
        return mine;
      }),
    );
    const all = wins.flat().sort((x, y) => x - y);
    expect(all).toEqual(ticks.map((_, n) => n));
    expect(await stores[0]?.lastClaimed("backup:database")).toEqual(ticks[99]);
  });

  it("persists service state and counts runs from several processes without losing any", async () => {
    const stores = handles.map((h) => new SqlServiceStateStore(h.sql));
    const at = new Date("2026-01-01T00:00:00Z");
    await Promise.all(
      stores.flatMap((store, i) =>
        Array.from({ length: 10 }, (_, n) =>
          store.recordRun("lifecycle", {
            state: "running",
            instance: `p${i}`,
            at: new Date(at.getTime() + n),
            error: n === 9 && i === 0 ? new Error("db went away") : null,
            nextRunAt: null,
            details: { n },
          }),
        ),
      ),
    );
    const saved = await stores[1]?.load("lifecycle");
    expect(saved?.runs).toBe(30);
    expect(saved?.failures).toBe(1);
    expect(saved?.lastError?.message).toBe("db went away");
    expect(saved?.lastSuccessAt).not.toBeNull();
    // A run recorded from outside a running service leaves the cluster's state alone.
    await stores[2]?.setState("lifecycle", "running", "p2", at);
    await stores[2]?.recordRun("lifecycle", {
      state: null,
      instance: "cli",
      at,
      error: null,
      nextRunAt: null,
      details: null,
    });
    expect((await stores[0]?.load("lifecycle"))?.state).toBe("running");
    await stores[2]?.setState("lifecycle", "stopped", "p2", at);
    expect((await stores[0]?.list())?.map((s) => [s.service, s.state, s.runs])).toEqual([["lifecycle", "stopped", 31]]);
  });
});
