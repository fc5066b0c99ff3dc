import os from "node:os";
import type { AlertChannel, Alerter } from "./alerting/alerter.js";
import { createAlerter } from "./alerting/create.js";
import type { Config } from "./config/load.js";
import { type Clock, systemClock } from "./core/clock.js";
import type { ServiceContext, ServiceDefinition } from "./core/context.js";
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
  return new StewardApp(deps);
}

class StewardApp implements App {
  readonly config: Config;
  readonly db: Database;
  readonly supervisor: Supervisor;
  readonly alerter: Alerter;
  readonly router: Router;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly instances: InstanceStore;
  private isReady = false;
  /** A stop asked for while start-up is still under way: start-up goes no further. */
  private stopRequested = false;
  private cluster: InstanceInfo[] = [];
  private server: HttpServer | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(deps: AppDeps) {
    const { config, logger } = deps;
    this.config = config;
    this.logger = logger;
    this.clock = deps.clock ?? systemClock;
    const metrics = deps.metrics ?? createMetrics();
    this.db = openDatabase(config.database.target, {
      poolSize: Math.max(10, config.email.workers + 5),
      backgroundCheckpoint: true,
    });
    this.instances = new InstanceStore(this.db.sql);
    this.alerter = createAlerter({
      config,
      logger,
      clock: this.clock,
      sql: this.db.sql,
      definitions: deps.definitions,
      channels: deps.channels,
    });
    const stores = {
      leases: new LeaseStore(this.db.sql),
      ticks: new TickClaimStore(this.db.sql),
      state: new SqlServiceStateStore(this.db.sql),
      settings: new SettingsStore(this.db.sql),
    };
    const makeContext = (serviceLogger: Logger, reportCrash: (error: Error) => void): ServiceContext => ({
      config,
      db: this.db,
      clock: this.clock,
      logger: serviceLogger,
      alerter: this.alerter,
      metrics,
      instanceId: config.instanceId,
      stores,
      reportCrash,
    });
    this.supervisor = new Supervisor({
      definitions: deps.definitions,
      config,
      clock: this.clock,
      logger,
      alerter: this.alerter,
      stateStore: stores.state,
      instanceId: config.instanceId,
      makeContext: (_name, serviceLogger, reportCrash) => makeContext(serviceLogger, reportCrash),
    });
    this.router = new Router({
      adminToken: config.adminToken,
      tokenEverywhere: config.http.offLoopback,
      allowedHosts: config.http.allowedHosts,
      maxBodyBytesInFlight: config.http.maxBodyBytesInFlight,
      clock: this.clock,
      logger: logger.child({ component: "http" }),
      registry: metrics.registry,
    });
    for (const definition of deps.definitions) {
      const routeLogger = logger.child({ service: definition.name, component: "http" });
      // Routes get a context whose crash report goes nowhere: a request's failure is its answer.
      definition.routes?.(
        this.router,
        makeContext(routeLogger, () => {}),
        () => this.supervisor.service(definition.name),
      );
    }
    addStatusRoutes(this.router, {
      supervisor: this.supervisor,
      version: stewardVersion(),
      startedAt: this.clock.now(),
      instance: { id: config.instanceId, hostname: os.hostname(), pid: process.pid },
      ready: () => this.isReady,
      cluster: () => this.cluster.map(instanceJson),
      registry: metrics.registry,
      metricsPublic: config.http.metricsPublic,
    });
  }

  get ready(): boolean {
    return this.isReady;
  }

  get port(): number {
    return this.server?.port ?? this.config.status.port;
  }

  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  stop(): Promise<void> {
    this.stopRequested = true;
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStart(): Promise<void> {
    const { config, logger } = this;
    this.server = await listen(this.router, config.status.host, config.status.port, logger);
    logger.info({ host: config.status.host, port: this.server.port }, "status server listening");
    const migrated = await migrate(this.db);
    logger.info({ database: config.database.display, ...migrated }, "database ready");
    // A signal that came while the migration waited: start no service, take no lease.
    if (this.stopRequested) return;
    const now = this.clock.now();
    await this.instances.register({
      id: config.instanceId,
      hostname: os.hostname(),
      pid: process.pid,
      version: stewardVersion(),
      startedAt: now,
      heartbeatAt: now,
    });
    await this.instances.prune(new Date(now.getTime() - 7 * 86_400_000));
    if (this.stopRequested) return;
    await this.supervisor.start();
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
    this.isReady = true;
    this.logStarted(this.server.port);
  }

  private async doStop(): Promise<void> {
    this.isReady = false;
    await this.starting?.catch(() => {});
    this.isReady = false; // a start that finished while we waited must not leave us ready
    if (this.heartbeat) clearInterval(this.heartbeat);
    // Every cleanup runs even when one before it fails; a host never started only closes its pool.
    const started = this.starting !== undefined;
    const steps: Array<[string, () => Promise<unknown>]> = [
      ["services", () => this.supervisor.stop()],
      ["instance", async () => started && this.instances.markStopped(this.config.instanceId, this.clock.now())],
      ["http", async () => this.server?.close()],
      ["database", () => this.db.close()],
    ];
    for (const [name, step] of steps) {
      await step().catch((error: unknown) =>
        this.logger.warn({ step: name, err: toError(error) }, "shutdown step failed"),
      );
    }
    this.logger.info("steward stopped");
  }

  /** The one line a newcomer reads: where status is served and what runs here. */
  private logStarted(port: number): void {
    const statuses = Object.values(this.supervisor.status());
    const running = statuses.filter((s) => s.enabled).map((s) => s.name);
    const disabled = statuses.filter((s) => !s.enabled).map((s) => s.name);
    const url = statusUrl(this.config.status.host, port);
    const where = this.config.http.offLoopback ? `${url} (ADMIN_TOKEN required)` : url;
    const what = `services: ${running.join(", ") || "none"}${disabled.length ? `; disabled: ${disabled.join(", ")}` : ""}`;
    this.logger.info({ url, services: running, disabled }, `steward started: status on ${where}, ${what}`);
  }

  private async beat(): Promise<void> {
    const now = this.clock.now();
    try {
      await this.instances.heartbeat(this.config.instanceId, now);
      this.cluster = await this.instances.alive(new Date(now.getTime() - 4 * HEARTBEAT_MS));
    } catch (error) {
      this.logger.warn({ err: toError(error) }, "heartbeat failed");
    }
  }
}

function statusUrl(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

function instanceJson(i: InstanceInfo) {
  return { ...i, startedAt: i.startedAt.toISOString(), heartbeatAt: i.heartbeatAt.toISOString(), stoppedAt: null };
}
