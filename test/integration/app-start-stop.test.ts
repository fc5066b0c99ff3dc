import { expect, it } from "vitest";
import { InstanceStore } from "../../src/db/coordination/instances.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { intervalDefinition, probe } from "../fakes/test-services.js";
import { testApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { waitFor } from "../helpers/wait.js";

/** Timers, sockets and servers keeping this process alive, by kind (unref'd timers are not listed). */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

const KINDS = ["Timeout", "TCPServerWrap", "TCPSocketWrap"];
const pick = (counts: Record<string, number>) => Object.fromEntries(KINDS.map((k) => [k, counts[k] ?? 0]));

const noMore = (now: Record<string, number>, before: Record<string, number>) =>
  KINDS.every((k) => (now[k] ?? 0) <= (before[k] ?? 0));

/**
 * Closed sockets leave the list once their close completes: wait for that, up to a bound. What
 * is left then is returned either way, for the assertion to name it.
 */
async function backTo(before: Record<string, number>): Promise<Record<string, number>> {
  await waitFor(() => noMore(pick(resources()), before), {
    what: "the host's resources to close",
    timeoutMs: 2_000,
  }).catch(() => {});
  return pick(resources());
}

describeEachDialect("starting and stopping the host", (dialect, makeDb) => {
  const orders: Array<[string, (start: () => Promise<void>, stop: () => Promise<void>) => Promise<void>]> = [
    ["stop before start", async (_start, stop) => stop()],
    ["start and stop together", async (start, stop) => void (await Promise.all([start(), stop(), stop()]))],
    [
      "stop just after start begins",
      async (start, stop) => {
        const started = start();
        await new Promise((r) => setImmediate(r));
        await Promise.all([stop(), started]);
      },
    ],
    [
      "start, then stop twice",
      async (start, stop) => {
        await start();
        await stop();
        await stop();
      },
    ],
  ];

  it.each(orders)("%s leaves no timer, socket, server or connection behind", async (_name, run) => {
    const t: TestDb = await makeDb();
    try {
      // The helper's own connection would muddle the count; the app opens its own.
      await t.db.close();
      const before = resources();
      const p = probe();
      const env: Record<string, string> = dialect === "pg" ? { DATABASE_URL: t.url } : {};
      const { app } = testApp(
        [intervalDefinition("svc", p, { intervalMs: 1_000 }), intervalDefinition("leader", probe(), { leader: true })],
        { env },
      );
      await run(
        () => app.start(),
        () => app.stop(),
      );
      expect(app.ready).toBe(false);
      expect(p.starts).toBe(p.stops);
      if (app.db.driver.dialect === "pg") expect(app.db.driver.pool.totalCount).toBe(0);
      await expect(app.db.sql.get("select 1")).rejects.toThrow();
      // Nothing the host opened is still open (the baseline may still hold the helper's closing socket).
      const after = await backTo(before);
      for (const kind of KINDS)
        expect({ kind, n: after[kind] }).toEqual({ kind, n: Math.min(after[kind] ?? 0, before[kind] ?? 0) });
    } finally {
      await t.cleanup();
    }
  });
});

describeEachDialect("the host's process identity and heartbeat", (_dialect, makeDb) => {
  it("names the instance by the hostname and pid it is given, and beats on the injected clock", async () => {
    const t: TestDb = await makeDb();
    const clock = new FakeClock();
    const env = { INSTANCE_ID: "beat-test", DATABASE_URL: t.url };
    const { app } = testApp([intervalDefinition("svc", probe())], { clock, env, hostname: "host-a", pid: 4242 });
    const heartbeatAt = async () => {
      const rows = await new InstanceStore(t.db.sql).alive(new Date(0));
      return rows.find((r) => r.id === "beat-test")?.heartbeatAt.getTime();
    };
    try {
      await app.start();
      const response = await fetch(`http://127.0.0.1:${app.port}/status`);
      const body = (await response.json()) as { instance: unknown };
      expect(body.instance).toEqual({ id: "beat-test", hostname: "host-a", pid: 4242 });
      const started = clock.now().getTime();
      expect(await heartbeatAt()).toBe(started);
      // A fake 15 s later the heartbeat has beaten, though almost no real time has passed.
      await clock.advance(15_000);
      await waitFor(async () => (await heartbeatAt()) === started + 15_000, { what: "the heartbeat at +15 s" });
    } finally {
      await app.stop();
      await t.cleanup();
    }
  });
});
