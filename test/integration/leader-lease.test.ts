import { afterEach, beforeEach, expect, it } from "vitest";
import { lifecycleDefinition } from "../../src/services/lifecycle/definition.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { type TestApp, testApp } from "../helpers/app.js";
import { describePg, pgTestDb, type TestDb } from "../helpers/db.js";
import { advanceBy, waitFor } from "../helpers/wait.js";

// PostgreSQL: two hosts in one process cannot share a SQLite file (a busy wait would block the
// very thread that holds the lock); across processes SQLite serializes them as usual.
describePg("leader leases", () => {
  let t: TestDb;
  const hosts: TestApp[] = [];
  beforeEach(async () => {
    t = await pgTestDb();
  });
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.app.stop();
    await t.cleanup();
  });

  it("go to one process even when two were given the same INSTANCE_ID", async () => {
    const clock = new FakeClock("2026-03-01T10:00:00Z");
    const env = { DATABASE_URL: t.url, INSTANCE_ID: "same", LEASE_TTL_SECONDS: "6" };
    for (let i = 0; i < 2; i += 1) hosts.push(testApp([lifecycleDefinition()], { env, clock }));
    await Promise.all(hosts.map((h) => h.app.start()));
    const leaders = () => hosts.map((h) => h.app.supervisor.status().lifecycle?.leader);
    await waitFor(() => leaders().includes(true), { timeoutMs: 10_000, what: "a leader" });
    // Several lease TTLs of renewals (every TTL/3) on both sides: never two leaders.
    for (let step = 0; step < 12; step += 1) {
      await advanceBy(clock, 1_000, { stepMs: 1_000, ioMs: 20 });
      expect(leaders().filter(Boolean)).toHaveLength(1);
    }
    expect(leaders().sort()).toEqual([false, true]);
  });
});
