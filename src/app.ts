import { AlertStore, alertJson } from "./alerting/alert-store.js";
import type { AlertChannel, Alerter } from "./alerting/alerter.js";
import { createAlerter } from "./alerting/create.js";
import type { Config } from "./config/load.js";
import { type Clock, systemClock } from "./core/clock.js";
import { toError } from "./core/errors.js";
import { EventHub } from "./core/events.js";
import type { Logger } from "./core/logger.js";
import { createMetrics, type Metrics } from "./core/metrics.js";
import { stewardVersion } from "./core/project.js";
import type { ServiceStatus } from "./core/service.js";
import { StartStop } from "./core/start-stop.js";
import { Supervisor } from "./core/supervisor.js";
import { WakeHub } from "./core/wake.js";
import { type InstanceInfo, InstanceStore } from "./db/coordination/instances.js";
import { SqlServiceStateStore } from "./db/coordination/service-state.js";
import { migrate } from "./db/migrate.js";
import { type Database, openDatabase } from "./db/open.js";
import { addHostRoutes } from "./http/host-routes.js";
import { LiveFeed } from "./http/live-feed.js";
import { json, Router } from "./http/router.js";
import { type HttpServer, listen } from "./http/server.js";
import { addSessionRoutes } from "./http/session-routes.js";
import { addStatusRoutes } from "./http/status-routes.js";
import { createServiceContext, type HostParts } from "./services/context.js";
import type { HostEvents, ServiceDefinition } from "./services/contract.js";
import { recountCounters } from "./services/recount.js";

export interface AppDeps {
  config: Config;
  logger: Logger;
  definitions: readonly ServiceDefinition[];
  /** This process (main.ts reads them once; tests pass their own). */
  hostname: string;
  pid: number;
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
  /**
   * This host's wake hub: an enqueue in this process that passes it (`{ wake }`) wakes the
   * email workers at once, as the HTTP API's and the schedulers' enqueues do.
   */
  readonly wake: WakeHub;
  /** This host's events (a run recorded, a cron tick, an email attempt, a service failed). */
  readonly events: EventHub<HostEvents>;
  readonly ready: boolean;
  /** The port actually bound (STATUS_PORT=0 picks a free one). */
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const HEARTBEAT_MS = 15_000;
/** An instance silent for four heartbeats is not counted alive. */
const ALIVE_WITHIN_MS = 4 * HEARTBEAT_MS;
/** Old alerts are deleted at most this often (an indexed delete, from every process: idempotent). */
const ALERT_PRUNE_EVERY_MS = 3600_000;

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
  readonly wake = new WakeHub();
  readonly events = new EventHub<HostEvents>();
  /** GET /events: the dashboard's live stream. */
  readonly live: LiveFeed;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly instances: InstanceStore;
  private readonly instance: { id: string; hostname: string; pid: number };
  private readonly guard = new StartStop();
  private isReady = false;
  /** A stop asked for while start-up is still under way: start-up goes no further. */
  private stopRequested = false;
  private cluster: InstanceInfo[] = [];
  private alertsPrunedAt = Number.NEGATIVE_INFINITY;
  private server: HttpServer | undefined;
  private heartbeatStop = new AbortController();
  private heartbeat: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  /** The instance row was written: a shutdown marks it stopped. */
  private registered = false;

  constructor(deps: AppDeps) {
    const { config, logger } = deps;
    this.config = config;
    this.logger = logger;
    this.instance = { id: config.instanceId, hostname: deps.hostname, pid: deps.pid };
    this.clock = deps.clock ?? systemClock;
    this.db = openDatabase(config.database.target, {
      poolSize: Math.max(10, config.email.workers + 5),
      backgroundCheckpoint: true,
    });
    this.instances = new InstanceStore(this.db.sql);
    const { definitions, channels } = deps;
    // The host's own (this.wake): two apps in one process never wake each other's workers.
    const wake = this.wake;
    // The hub hears every alert a channel is told of, for the dashboard's live stream.
    const live: AlertChannel = { name: "events", send: async (alert) => this.events.emit("alert:raised", alert) };
    this.alerter = createAlerter({
      config,
      logger,
      clock: this.clock,
      sql: this.db.sql,
      wake,
      definitions,
      channels: [...(channels ?? []), live],
    });
    const host: HostParts = {
      config,
      db: this.db,
      clock: this.clock,
      logger,
      alerter: this.alerter,
      metrics: deps.metrics ?? createMetrics(),
      wake,
      events: this.events,
      hostname: deps.hostname,
      pid: deps.pid,
    };
    this.supervisor = this.createSupervisor(definitions, host);
    this.live = this.createLiveFeed(definitions, host);
    this.router = this.createRouter(definitions, host);
  }

  private createSupervisor(definitions: readonly ServiceDefinition[], host: HostParts): Supervisor {
    const { config, logger } = host;
    return new Supervisor({
      services: definitions.map((definition) => ({
        name: definition.name,
        enabled: definition.enabled(config),
        create: (reportCrash) =>
          definition.create(
            createServiceContext({ ...host, logger: logger.child({ service: definition.name }) }, reportCrash),
          ),
      })),
      shutdownGraceMs: config.shutdownGraceMs,
      clock: this.clock,
      logger,
      stateStore: new SqlServiceStateStore(this.db.sql),
      instanceId: config.instanceId,
      onFailure: (failure) => {
        const { service, error, restartInMs } = failure;
        void this.alerter.alert("error", `service-failed:${service}`, `${service} failed: ${error.message}`, {
          service,
          restartInMs,
        });
        this.events.emit("service:failed", failure);
      },
    });
  }

  /**
   * The live stream's sources and events: every service's status (read every few seconds, and
   * at once after a run or a failure), each alert and backup progress as it happens, and what
   * the services offer (the email queue's counts).
   */
  private createLiveFeed(definitions: readonly ServiceDefinition[], host: HostParts): LiveFeed {
    const feed = new LiveFeed({ clock: this.clock, logger: host.logger.child({ component: "live" }) });
    const serviceItem = (status: ServiceStatus) => ({ type: "service", key: status.name, data: status });
    feed.addSource({ name: "services", read: () => Object.values(this.supervisor.status()).map(serviceItem) });
    for (const definition of definitions) {
      for (const source of definition.live?.(createServiceContext(host)) ?? []) feed.addSource(source);
    }
    const publishService = (name: string) => {
      const status = this.supervisor.statusOf(name);
      if (status && feed.listeners > 0) feed.publish(serviceItem(status));
    };
    this.events.on("run:recorded", (run) => publishService(run.service));
    this.events.on("service:failed", (failure) => publishService(failure.service));
    this.events.on("alert:raised", (alert) => feed.publish({ type: "alert", key: alert.id, data: alertJson(alert) }));
    this.events.on("backup:progress", (progress) => feed.publish({ type: "backup", key: progress.id, data: progress }));
    return feed;
  }

  /** The services' routes, registered in every process (any process accepts work), then status. */
  private createRouter(definitions: readonly ServiceDefinition[], host: HostParts): Router {
    const { config, logger, metrics } = host;
    const router = new Router({
      adminToken: config.adminToken,
      tokenEverywhere: config.http.offLoopback,
      allowedHosts: config.http.allowedHosts,
      maxBodyBytesInFlight: config.http.maxBodyBytesInFlight,
      clock: this.clock,
      logger: logger.child({ component: "http" }),
      registry: metrics.registry,
    });
    addSessionRoutes(router);
    for (const definition of definitions) {
      const routeLogger = logger.child({ service: definition.name, component: "http" });
      // Routes get a context whose crash report goes nowhere: a request's failure is its answer.
      const ctx = createServiceContext({ ...host, logger: routeLogger });
      definition.routes?.(router, ctx);
      const pass = definition.pass;
      // POST /run/<name>: the pass `steward run <name>` runs, by the same function, here.
      if (pass) {
        router.add({
          method: "POST",
          path: `/run/${definition.name}`,
          admin: true,
          handler: async () => {
            const summary = await pass.run(ctx);
            return json(200, { ...summary, failures: pass.failures(summary) });
          },
        });
      }
    }
    // POST /doctor/recount: `steward doctor recount`, by the same function, for the dashboard.
    router.add({
      method: "POST",
      path: "/doctor/recount",
      admin: true,
      handler: async () => {
        const counters = await recountCounters(this.db.sql, definitions, this.clock.now());
        return json(200, { counters, drifted: counters.filter((c) => c.was !== c.now).length });
      },
    });
    addStatusRoutes(router, {
      supervisor: this.supervisor,
      version: stewardVersion(),
      startedAt: this.clock.now(),
      instance: this.instance,
      ready: () => this.isReady,
      cluster: () => this.cluster.map(instanceJson),
      registry: metrics.registry,
      metricsPublic: config.http.metricsPublic,
    });
    addHostRoutes(router, { sql: this.db.sql, clock: this.clock, aliveWithinMs: ALIVE_WITHIN_MS });
    router.add(this.live.route());
    return router;
  }

  get ready(): boolean {
    return this.isReady;
  }

  get port(): number {
    return this.server?.port ?? this.config.status.port;
  }

  start(): Promise<void> {
    return this.guard.start(
      () => this.doStart(),
      () => this.shutDown(),
    );
  }

  /**
   * Stops what start-up began, then closes the pool, which the constructor opened: so a host
   * stopped before it started, or after a failed start, still lets go of its connections.
   */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.isReady = false;
    await this.guard.stop(() => this.shutDown());
    this.closed ??= this.db
      .close()
      .catch((error: unknown) => this.logger.warn({ step: "database", err: toError(error) }, "shutdown step failed"))
      .then(() => this.logger.info("steward stopped"));
    await this.closed;
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
      ...this.instance,
      version: stewardVersion(),
      startedAt: now,
      heartbeatAt: now,
    });
    this.registered = true;
    await this.instances.prune(new Date(now.getTime() - 7 * 86_400_000));
    if (this.stopRequested) return;
    await this.supervisor.start();
    await this.beat();
    this.heartbeatStop = new AbortController();
    this.heartbeat = this.heartbeatLoop(this.heartbeatStop.signal);
    this.isReady = !this.stopRequested;
    if (this.isReady) this.logStarted(this.server.port);
  }

  /** Every cleanup runs even when one before it fails. */
  private async shutDown(): Promise<void> {
    this.isReady = false;
    this.heartbeatStop.abort();
    await this.heartbeat;
    const registered = this.registered;
    const steps: Array<[string, () => Promise<unknown>]> = [
      // Open streams first: the HTTP server's close waits for every connection to end.
      ["live", async () => this.live.close()],
      ["services", () => this.supervisor.stop()],
      ["instance", async () => registered && this.instances.markStopped(this.config.instanceId, this.clock.now())],
      ["http", async () => this.server?.close()],
    ];
    for (const [name, step] of steps) {
      await step().catch((error: unknown) =>
        this.logger.warn({ step: name, err: toError(error) }, "shutdown step failed"),
      );
    }
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

  /** Beats on the injected clock, so a test's fake clock drives it like every other loop. */
  private async heartbeatLoop(stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      await this.clock.sleep(HEARTBEAT_MS, stop);
      if (stop.aborted) return;
      await this.beat();
    }
  }

  private async beat(): Promise<void> {
    const now = this.clock.now();
    try {
      await this.instances.heartbeat(this.config.instanceId, now);
      this.cluster = await this.instances.alive(new Date(now.getTime() - ALIVE_WITHIN_MS));
    } catch (error) {
      this.logger.warn({ err: toError(error) }, "heartbeat failed");
    }
    await this.pruneAlerts(now);
  }

  /** ALERT_RETENTION_DAYS, like the email jobs' retention; 0 keeps every alert. */
  private async pruneAlerts(now: Date): Promise<void> {
    const days = this.config.alerts.retentionDays;
    if (days === 0 || now.getTime() - this.alertsPrunedAt < ALERT_PRUNE_EVERY_MS) return;
    this.alertsPrunedAt = now.getTime();
    try {
      const deleted = await new AlertStore(this.db.sql).prune(new Date(now.getTime() - days * 86_400_000));
      if (deleted > 0) this.logger.info({ deleted, retentionDays: days }, "deleted old alerts");
    } catch (error) {
      this.logger.warn({ err: toError(error) }, "could not delete old alerts");
    }
  }
}

function statusUrl(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

function instanceJson(i: InstanceInfo) {
  return { ...i, startedAt: i.startedAt.toISOString(), heartbeatAt: i.heartbeatAt.toISOString(), stoppedAt: null };
}
