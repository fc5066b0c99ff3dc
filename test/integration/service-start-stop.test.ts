import path from "node:path";
import { expect, it } from "vitest";
import { createAlerter } from "../../src/alerting/create.js";
import { loadConfig } from "../../src/config/load.js";
import { EventHub } from "../../src/core/events.js";
import { createLogger } from "../../src/core/logger.js";
import { createMetrics } from "../../src/core/metrics.js";
import type { Service } from "../../src/core/service.js";
import { WakeHub } from "../../src/core/wake.js";
import { createServiceContext } from "../../src/services/context.js";
import type { HostEvents, ServiceDefinition } from "../../src/services/contract.js";
import { serviceDefinitions } from "../../src/services/registry.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { seeded } from "../fakes/seeded-random.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";
import { waitFor } from "../helpers/wait.js";

/** Every service on, so each builds all of its parts (every backup job, the email workers). */
const ENV = {
  BACKUP_STORAGE_ENABLED: "true",
  BACKUP_FULL_ENABLED: "true",
  BACKUP_ROTATION_ENABLED: "true",
  LOG_LEVEL: "silent",
};
const ROUNDS = 40;

/** Timers keeping the process alive (unref'd ones are not listed). */
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

/** One service of the real registry, built as the supervisor builds it, on a fake clock. */
function build(definition: ServiceDefinition, t: TestDb, clock: FakeClock, instanceId: string): Service {
  const cwd = tempDir("steward-stress-");
  const env = { ...ENV, DATABASE_URL: t.url, DATA_DIR: path.join(cwd, "data"), INSTANCE_ID: instanceId };
  const { config } = loadConfig(env, { cwd, isTTY: false, hostname: "stress", pid: process.pid });
  const logger = createLogger({ level: "silent", format: "json", secrets: [] });
  const wake = new WakeHub();
  const alerter = createAlerter({ config, logger, clock, sql: t.db.sql, wake, definitions: [] });
  const host = { config, db: t.db, clock, logger, alerter, wake, hostname: "stress", pid: process.pid };
  const ctx = createServiceContext({
    ...host,
    metrics: createMetrics({ processMetrics: false }),
    events: new EventHub<HostEvents>(),
  });
  return definition.create(ctx);
}

/** A few turns of the event loop, a seeded number: calls interleave differently each time. */
async function turns(random: () => number): Promise<void> {
  for (let i = Math.floor(random() * 4); i > 0; i -= 1) await new Promise((resolve) => setImmediate(resolve));
}

describeEachDialect("each service started and stopped concurrently, in a seeded random order", (dialect, makeDb) => {
  it.each(serviceDefinitions.map((d) => [d.name, d] as const))(
    "%s ends stopped, holding no lease and leaving no timer or sleeping loop",
    async (name, definition) => {
      const t = await makeDb();
      const clock = new FakeClock("2026-01-05T12:00:00Z");
      const instanceId = `stress-${name}`;
      const before = timers();
      const random = seeded(20260105 + name.length);
      const service = build(definition, t, clock, instanceId);
      try {
        for (let round = 0; round < ROUNDS; round += 1) {
          const calls = Array.from({ length: 1 + Math.floor(random() * 4) }, () => (random() < 0.5 ? "start" : "stop"));
          await Promise.all(
            calls.map(async (call) => {
              await turns(random);
              await (call === "start" ? service.start() : service.stop());
            }),
          );
          // Settled: never left half-way, whatever the order was.
          expect(["running", "stopped"]).toContain(service.status().state);
          // Now and then let fake time pass while it runs, so its loops sleep and wake in between.
          if (random() < 0.3) await clock.advance(Math.floor(random() * 120_000));
        }
        // From stopped, a stop called while a start is under way waits for it, then undoes it.
        await service.stop();
        await Promise.all([service.start(), service.stop()]);
        expect(service.status().state).toBe("stopped");
        // Held means unexpired: a lease whose TTL ran out (fake time jumped past it between
        // renewals) is free for anyone to take, and a stop rightly does not count it as its own.
        const held = await t.db.sql.all("select name, holder from leases where holder like ? and expires_at > ?", [
          `${instanceId}%`,
          clock.now(),
        ]);
        expect(held).toEqual([]);
        expect(clock.pendingSleeps).toBe(0);
        if (dialect === "sqlite") {
          // PostgreSQL's pool keeps timers of its own for idle connections; SQLite has none.
          await waitFor(() => timers() <= before, { what: "the service's timers to clear", timeoutMs: 2_000 }).catch(
            () => {},
          );
          expect(timers()).toBeLessThanOrEqual(before);
        } else if (name === "email") {
          const listening = await t.db.sql.all("select pid from pg_stat_activity where application_name = ?", [
            `steward email listener ${instanceId}`,
          ]);
          expect(listening).toEqual([]);
        }
      } finally {
        await service.stop();
        await t.cleanup();
      }
    },
  );
});
