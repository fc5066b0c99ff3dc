import os from "node:os";
import { type AlertChannel, Alerter } from "./alerting/alerter.js";
import { webhookChannel } from "./alerting/webhook-channel.js";
import type { Config } from "./config/load.js";
import { type Clock, systemClock } from "./core/clock.js";
import type { ServiceDefinition } from "./core/context.js";
import { toError } from "./core/errors.js";
import type { Logger } from "./core/logger.js";
import { createMetrics, type Metrics } from "./core/metrics.js";
import { stewardVersion } from "./core/project.js";
import { Supervisor } from "./core/supervisor.js";
import { type InstanceInfo, InstanceStore } from "./db/coordination/instances.js";
import { LeaseStore } from "./db/coordination/leases.js";
import { SqlServiceStateStore } from "./db/coordination/service-state.js";
import { SettingsStore } from "./db/coordination/settings.js";
import { TickClaimStore } from "./db/coordination/tick-claims.js";
import { migrate } from "./db/migrate.js";
import { type Database, openDatabase } from "./db/open.js";
import { Router } from "./http/router.js";
import { type HttpServer, listen } from "./http/server.js";
import { addStatusRoutes } from "./http/status-routes.js";

export interface AppDeps {
  config: Config;
  logger: Logger;
  definitions: readonly ServiceDefinition[];
  clock?: Clock;
  metrics?: Metrics;
  /** Extra alert channels (tests); the log is always one, the webhook one when configured. */
  channels?: AlertChannel[];
}

export interface App {
  readonly config: Config;
  readonly db: Database;
  readonly supervisor: Supervisor;
  readonly alerter: Alerter;
  readonly router: Router;
  readonly ready: boolean;
  /** The port actually bound (STATUS_PORT=0 picks a free one). */
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const HEARTBEAT_MS = 15_000;

/**
 * Assembles the host: database, stores, alerting, supervisor and HTTP, in that order. The
 * HTTP server listens before migrations run so /healthz and /readyz (503) answer while the
 * process is still starting.
 */
export function createApp(deps: AppDeps): App {
  const { config, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const metrics = deps.metrics ?? createMetrics();
  const db = openDatabase(config.database.target, { poolSize: Math.max(10, config.email.workers + 5) });
  const stores = {
    leases: new LeaseStore(db.sql),
    ticks: new TickClaimStore(db.sql),
    state: new SqlServiceStateStore(db.sql),
    settings: new SettingsStore(db.sql),
  };
  const instances = new InstanceStore(db.sql);
  const channels = [...(deps.channels ?? [])];
  if (config.alerts.webhookUrl) channels.push(webhookChannel({ url: config.alerts.webhookUrl, clock }));
  const alerter = new Alerter({
    clock,
    logger: logger.child({ component: "alerter" }),
    cooldownMs: config.alerts.cooldownMs,
    instance: config.instanceId,
    channels,
  });
  const makeContext = (serviceLogger: Logger, reportCrash: (error: Error) => void) => ({
    config,
    db,
    clock,
    logger: serviceLogger,
    alerter,
    metrics,
    instanceId: config.instanceId,
    stores,
    reportCrash,
  });
  const supervisor = new Supervisor({
    definitions: deps.definitions,
    config,
    clock,
    logger,
    alerter,
    stateStore: stores.state,
    instanceId: config.instanceId,
    makeContext: (_name, serviceLogger, reportCrash) => makeContext(serviceLogger, reportCrash),
  });
  const router = new Router(config.adminToken);
  for (const definition of deps.definitions) {
    const routeLogger = logger.child({ service: definition.name, component: "http" });
    definition.routes?.(
      router,
      makeContext(routeLogger, () => {}),
      () => supervisor.service(definition.name),
    );
  }
  const startedAt = clock.now();
  let ready = false;
  let cluster: InstanceInfo[] = [];
  addStatusRoutes(router, {
    supervisor,
    version: stewardVersion(),
    startedAt,
    instance: { id: config.instanceId, hostname: os.hostname(), pid: process.pid },
    ready: () => ready,
    cluster: () =>
      cluster.map((i) => ({
        ...i,
        startedAt: i.startedAt.toISOString(),
        heartbeatAt: i.heartbeatAt.toISOString(),
        stoppedAt: null,
      })),
    registry: metrics.registry,
  });

  let server: HttpServer | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const beat = async () => {
    const now = clock.now();
    try {
      await instances.heartbeat(config.instanceId, now);
      cluster = await instances.alive(new Date(now.getTime() - 4 * HEARTBEAT_MS));
    } catch (error) {
      logger.warn({ err: toError(error) }, "heartbeat failed");
    }
  };

  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  const app: App = {
    config,
    db,
    supervisor,
    alerter,
    router,
    get ready() {
      return ready;
    },
    get port() {
      return server?.port ?? config.status.port;
    },
    start() {
      starting ??= (async () => {
        server = await listen(router, config.status.host, config.status.port, logger);
        logger.info({ host: config.status.host, port: server.port }, "status server listening");
        const migrated = await migrate(db);
        logger.info({ database: config.database.display, ...migrated }, "database ready");
        const now = clock.now();
        await instances.register({
          id: config.instanceId,
          hostname: os.hostname(),
          pid: process.pid,
          version: stewardVersion(),
          startedAt: now,
          heartbeatAt: now,
        });
        await instances.prune(new Date(now.getTime() - 7 * 86_400_000));
        await supervisor.start();
        await beat();
        heartbeat = setInterval(() => void beat(), HEARTBEAT_MS);
        heartbeat.unref();
        ready = true;
        logger.info({ services: Object.keys(supervisor.status()) }, "steward started");
      })();
      return starting;
    },
    stop() {
      stopping ??= (async () => {
        ready = false;
        await starting?.catch(() => {});
        ready = false; // a start that finished while we waited must not leave us ready
        if (heartbeat) clearInterval(heartbeat);
        // Every cleanup runs even when one before it fails.
        const steps: Array<[string, () => Promise<unknown>]> = [
          ["services", () => supervisor.stop()],
          ["instance", () => instances.markStopped(config.instanceId, clock.now())],
          ["http", async () => server?.close()],
          ["database", () => db.close()],
        ];
        for (const [name, step] of steps) {
          await step().catch((error: unknown) =>
            logger.warn({ step: name, err: toError(error) }, "shutdown step failed"),
          );
        }
        logger.info("steward stopped");
      })();
      return stopping;
    },
  };
  return app;
}
