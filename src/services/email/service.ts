import { randomBytes } from "node:crypto";
import type Sqlite from "better-sqlite3";
import type pg from "pg";
import { toError } from "../../core/errors.js";
import type { RunTracker } from "../../core/run-tracker.js";
import type { Service, ServiceStatus } from "../../core/service.js";
import { StartStop } from "../../core/start-stop.js";
import { type CommitWatch, watchOtherCommits } from "../../db/sqlite-commit-watch.js";
import { createRunTracker } from "../context.js";
import type { ServiceContext } from "../contract.js";
import { EMAIL_WAKE } from "./enqueue/insert.js";
import { QueueMaintenance } from "./maintenance.js";
import { type EmailMetrics, emailMetrics, recordCounts } from "./metrics.js";
import { EmailNotifyListener } from "./notify.js";
import { PauseSwitch } from "./pause.js";
import { QueueAlerts } from "./queue-alerts.js";
import { CircuitBreaker, type TransportHealth } from "./send/circuit-breaker.js";
import { safetyPollMs } from "./send/idle-cadence.js";
import { RateLimiter } from "./send/rate-limiter.js";
import { workerSettings } from "./send/settings.js";
import { transportFor } from "./send/transports/create.js";
import type { EmailTransport } from "./send/transports/transport.js";
import { type AttemptEvent, WorkerPool } from "./send/worker-pool.js";
import { createEmailStore } from "./store/create.js";
import type { EmailStore } from "./store.js";

export interface EmailServiceOptions {
  /** The transport to send with; default SMTP or the outbox, from the config. */
  transport?: () => EmailTransport;
  /** Jitter source for retry delays (tests pass a constant). */
  random?: () => number;
}

/** Consecutive failed claims (database unreachable) before the loop is reported as crashed. */
const CLAIM_FAILURES_BEFORE_CRASH = 5;

/**
 * The email queue as a hosted service: the worker pool, the wake-ups (in-process, and
 * LISTEN/NOTIFY on PostgreSQL), background counts for status and metrics, the daily
 * retention cleanup and the failure-rate alert. (Its ALERT_EMAIL_TO channel is offered by the
 * definition, so it works in every process, not only while this service runs.)
 */
export class EmailService implements Service {
  readonly name = "email";
  readonly tracker: RunTracker;
  private readonly guard = new StartStop();
  private readonly metrics: EmailMetrics;
  private readonly alerts: QueueAlerts;
  private breaker: CircuitBreaker | undefined;
  private pool: WorkerPool | undefined;
  private store: EmailStore | undefined;
  private transport: EmailTransport | undefined;
  private listener: EmailNotifyListener | undefined;
  private commitWatch: CommitWatch | undefined;
  private maintenance: QueueMaintenance | undefined;
  private pause: PauseSwitch | undefined;
  private unsubscribe: (() => void) | undefined;
  private downSince: Date | null = null;
  private lastFailure: { message: string; code: number | null; jobId: string; at: string } | null = null;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: EmailServiceOptions = {},
  ) {
    this.tracker = createRunTracker(ctx, this.name);
    this.metrics = emailMetrics(ctx.metrics.registry);
    this.alerts = new QueueAlerts({
      alerter: ctx.alerter,
      clock: ctx.clock,
      settings: {
        failureRate: ctx.config.email.alertFailureRate,
        backlogMs: ctx.config.email.alertBacklogMs,
        cooldownMs: ctx.config.alerts.cooldownMs,
      },
    });
  }

  start(): Promise<void> {
    return this.guard.start(
      () => this.doStart(),
      () => this.halt(),
    );
  }

  stop(): Promise<void> {
    return this.guard.stop(() => this.halt());
  }

  status(): ServiceStatus {
    const email = this.ctx.config.email;
    const health = this.breaker?.health();
    return this.tracker.status({
      transport: {
        kind: this.transport?.kind ?? (email.smtp ? "smtp" : "outbox"),
        state: health?.state ?? "up",
        since: health?.since?.toISOString() ?? null,
        lastError: health?.lastError ?? null,
        nextProbeAt: health?.nextProbeAt?.toISOString() ?? null,
      },
      workers: email.workers,
      inFlight: this.pool?.inFlight ?? 0,
      paused: this.pause?.paused ?? false,
      ...(this.maintenance?.details() ?? {}),
      failuresLastHour: this.alerts.failures.lastHour(this.ctx.clock.now()),
      lastError: this.lastFailure,
    });
  }

  private async doStart(): Promise<void> {
    const { ctx } = this;
    const email = ctx.config.email;
    await this.tracker.setState("starting");
    await this.tracker.load();
    // The sender's claims and outcomes on a thread of their own: this event loop drives the SMTP sockets.
    const store = createEmailStore(ctx.db, { claimThread: true });
    this.store = store;
    // Unique per start: a restarted process must never renew the leases of its previous life.
    const holder = `${ctx.instanceId}/${randomBytes(4).toString("hex")}`;
    const transport = this.options.transport?.() ?? transportFor(email, ctx.logger);
    this.transport = transport;
    const breaker = new CircuitBreaker({
      clock: ctx.clock,
      probe: transport.verify?.bind(transport),
      onChange: (health) => this.onTransportChange(health),
    });
    this.breaker = breaker;
    this.metrics.transportUp.set(1);
    this.pause = new PauseSwitch(ctx.stores.settings, ctx.clock, () =>
      safetyPollMs(email.pollIntervalMs, this.announced()),
    );
    this.pool = this.createPool({ store, holder, transport, breaker, pause: this.pause });
    this.maintenance = this.createMaintenance(store, holder, this.pause);
    this.pool.start();
    this.maintenance.start();
    this.unsubscribe = ctx.wake.on(EMAIL_WAKE, () => this.pool?.wake());
    this.startListener();
    await this.tracker.setState("running");
    ctx.logger.info(
      { transport: this.transport.kind, workers: email.workers, sendThreads: email.sendThreads, holder },
      "email queue started",
    );
  }

  private createPool(parts: {
    store: EmailStore;
    holder: string;
    transport: EmailTransport;
    breaker: CircuitBreaker;
    pause: PauseSwitch;
  }): WorkerPool {
    const { ctx } = this;
    const { store, holder, transport, breaker, pause } = parts;
    return new WorkerPool({
      store,
      transport,
      clock: ctx.clock,
      logger: ctx.logger,
      holder,
      settings: workerSettings(ctx.config, this.options.random ?? Math.random),
      limiter: new RateLimiter(ctx.config.email.rateLimit, ctx.clock),
      breaker,
      paused: () => pause.isPaused(),
      announced: () => this.announced(),
      onAttempt: (event) => this.onAttempt(event),
      onLoopError: (error, streak) => this.onLoopError(error, streak),
    });
  }

  private createMaintenance(store: EmailStore, holder: string, pause: PauseSwitch): QueueMaintenance {
    const { ctx } = this;
    return new QueueMaintenance({
      store,
      clock: ctx.clock,
      logger: ctx.logger,
      tracker: this.tracker,
      ticks: ctx.stores.ticks,
      holder,
      retentionDays: ctx.config.email.retentionDays,
      onStats: (stats) => {
        recordCounts(this.metrics, stats.counts, this.pool?.inFlight ?? 0);
        this.alerts.backlog(stats.oldestPendingAgeSeconds, pause.paused);
      },
      refreshPause: () => pause.isPaused().then(() => undefined),
      activity: () => ({ ...(this.pool?.totals ?? {}) }),
    });
  }

  /**
   * Wake on other processes' enqueues (a host app's own insert included), as on one of ours:
   * NOTIFY on PostgreSQL, another connection's commit seen in the SQLite file's folder.
   */
  private startListener(): void {
    const { ctx } = this;
    if (ctx.db.driver.dialect === "sqlite") {
      this.watchCommits(ctx.db.driver.db);
      return;
    }
    const pool = ctx.db.driver.pool as pg.Pool & { options: pg.ClientConfig };
    this.listener = new EmailNotifyListener({
      // Named, so an operator can tell this long-lived connection apart in pg_stat_activity.
      clientConfig: { ...pool.options, application_name: `steward email listener ${ctx.instanceId}` },
      clock: ctx.clock,
      logger: ctx.logger,
      // Another process's enqueue arrives on the same path as one of ours.
      onNotify: () => ctx.wake.announce(EMAIL_WAKE),
      // A resume must wake the pool too: it sleeps long while every change is announced.
      onSettings: () => {
        this.pause?.invalidate();
        ctx.wake.announce(EMAIL_WAKE);
      },
    });
    this.listener.start();
  }

  /** Every enqueue and setting change reaches this process (see send/idle-cadence.ts). */
  private announced(): boolean {
    return this.listener?.connected ?? false;
  }

  private watchCommits(db: Sqlite.Database): void {
    const { ctx } = this;
    if (db.memory) return; // nobody else can reach it
    try {
      this.commitWatch = watchOtherCommits({ db, file: db.name, onCommit: () => ctx.wake.announce(EMAIL_WAKE) });
    } catch (error) {
      ctx.logger.warn(
        { err: toError(error), pollIntervalMs: ctx.config.email.pollIntervalMs },
        "cannot watch the database's folder: other processes' jobs are found by the poll only",
      );
    }
  }

  /** Every step runs even when one before it fails: a stuck SMTP pool must not keep leases held. */
  private async halt(): Promise<void> {
    const { ctx } = this;
    await this.tracker.setState("stopping");
    this.unsubscribe?.();
    this.commitWatch?.close();
    this.commitWatch = undefined;
    const steps: Array<[string, (() => Promise<void>) | undefined]> = [
      ["maintenance", this.maintenance && (() => (this.maintenance as QueueMaintenance).stop())],
      ["workers", this.pool && (() => (this.pool as WorkerPool).stop(ctx.config.shutdownGraceMs))],
      ["store", this.store && (() => (this.store as EmailStore).close())],
      ["listener", this.listener && (() => (this.listener as EmailNotifyListener).stop())],
      ["transport", this.transport && (() => (this.transport as EmailTransport).close())],
    ];
    for (const [step, run] of steps) {
      await run?.().catch((error: unknown) => ctx.logger.warn({ step, err: toError(error) }, "email stop step failed"));
    }
    this.listener = undefined;
    this.maintenance = undefined;
    this.store = undefined;
    await this.tracker.setState("stopped");
    ctx.logger.info("email queue stopped");
  }

  private onAttempt(event: AttemptEvent): void {
    const { outcome, classified, seconds, job } = event;
    const { events } = this.ctx;
    if (events.listening("email:attempt")) {
      const error = outcome.kind === "sent" ? null : outcome.error;
      events.emit("email:attempt", { jobId: job.id, outcome: outcome.kind, code: outcome.code, error });
    }
    this.metrics.sendDuration.observe(seconds);
    // A transport failure is the server's state, not the message's: it has its own alert.
    if (!classified?.transport) this.alerts.recordSend(outcome.at, outcome.kind !== "sent");
    if (outcome.kind === "sent") return void this.metrics.sent.inc();
    const reason = classified?.reason ?? "other";
    if (outcome.kind === "failed") this.metrics.failed.inc({ reason });
    else this.metrics.retried.inc({ reason });
    const error = outcome.error ?? "";
    this.lastFailure = { message: error, code: outcome.code, jobId: job.id, at: outcome.at.toISOString() };
    this.tracker.lastError = { message: error, at: outcome.at };
    const what =
      outcome.kind === "failed"
        ? "failed"
        : outcome.kind === "requeue"
          ? "given back, no attempt spent (transport failure)"
          : "will be retried";
    this.ctx.logger.warn(
      { jobId: job.id, attempt: job.attempts, outcome: outcome.kind, code: outcome.code, reason },
      `email ${what}: ${error}`,
    );
  }

  private onTransportChange(health: TransportHealth): void {
    const kind = this.transport?.kind ?? "smtp";
    const now = this.ctx.clock.now();
    this.metrics.transportUp.set(health.state === "up" ? 1 : 0);
    this.alerts.transport(health, kind);
    if (health.state === "down") {
      this.downSince = health.since;
      this.tracker.lastError = { message: `${kind} down: ${health.lastError ?? "unreachable"}`, at: now };
      return;
    }
    const downSeconds = this.downSince ? Math.round((now.getTime() - this.downSince.getTime()) / 1000) : null;
    this.downSince = null;
    this.ctx.logger.info({ transport: kind, downSeconds }, "email transport answers again: sending resumes");
  }

  private onLoopError(error: Error, streak: number): "continue" | "stop" {
    this.tracker.lastError = { message: error.message, at: this.ctx.clock.now() };
    this.ctx.logger.warn({ err: error, streak }, "could not claim email jobs");
    if (streak < CLAIM_FAILURES_BEFORE_CRASH) return "continue";
    this.ctx.reportCrash(error);
    return "stop";
  }
}
