import type { BackupJobName } from "../../config/backup.js";
import { toError } from "../../core/errors.js";
import type { RunTracker } from "../../core/run-tracker.js";
import type { Service, ServiceStatus } from "../../core/service.js";
import { StartStop } from "../../core/start-stop.js";
import { InstanceStore } from "../../db/coordination/instances.js";
import { Lease } from "../../db/coordination/leases.js";
import { CronJob, CronSchedule, type Tick } from "../../scheduling/cron-job.js";
import { createRunTracker } from "../context.js";
import type { ServiceContext } from "../contract.js";
import type { BackupIo } from "./durable-file.js";
import { progressReporter } from "./live-progress.js";
import { BACKUP_JOBS, BACKUP_KINDS, type BackupKind } from "./manifest.js";
import { BackupMetrics } from "./metrics.js";
import type { ProgressEvent } from "./part.js";
import type { PgTools } from "./pg-tools.js";
import { jobLeaseName, recoverInterrupted } from "./recovery.js";
import { type RotationResult, rotateBackups } from "./rotation.js";
import { type BackupRunner, createBackupRunner } from "./runner.js";
import { type BackupRecord, BackupStore } from "./store.js";
import { BackupWatch, realStatFs, type StatFs } from "./watch.js";

export interface BackupServiceOptions {
  io?: BackupIo;
  pgTools?: PgTools;
  hostname?: string;
  statfs?: StatFs;
}

interface Running {
  id: string | null;
  startedAt: Date;
  progress: ProgressEvent | null;
}

interface LastRun {
  id: string | null;
  status: string;
  startedAt: Date;
  durationMs: number | null;
  bytes: number | null;
  verified: boolean;
  error: string | null;
}

/** How often status picks up backups recorded by other processes. */
const HISTORY_REFRESH_MS = 15_000;
/** How often the watch (overdue backups, free space) looks. */
const WATCH_CHECK_MS = 60_000;
/**
 * The backup service: one cron job per enabled kind (database, storage, full, rotation).
 * At start it fails the runs a dead process left `running`, removes leftover temporary
 * files, then schedules. Status is built from fields kept here, never from a query.
 */
export class BackupService implements Service {
  readonly name = "backup";
  readonly tracker: RunTracker;
  readonly runner: BackupRunner;
  private readonly guard = new StartStop();
  private readonly jobs = new Map<BackupJobName, CronJob>();
  private readonly running = new Map<BackupJobName, Running>();
  private readonly lastRuns = new Map<BackupJobName, LastRun>();
  private refreshStop = new AbortController();
  private refresher: Promise<void> | undefined;
  private readonly newestVerified = new Map<BackupKind, { id: string; finishedAt: Date }>();
  private readonly active = new Set<string>();
  private readonly owner: string;
  private readonly hostname: string;
  private readonly metrics: BackupMetrics;
  private readonly statfs: StatFs;
  private readonly watchLease: Lease;
  private watch: BackupWatch | undefined;
  private watcher: Promise<void> | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    options: BackupServiceOptions = {},
  ) {
    this.hostname = options.hostname ?? ctx.hostname;
    this.metrics = new BackupMetrics(ctx.metrics.registry, { store: new BackupStore(ctx.db.sql), logger: ctx.logger });
    this.tracker = createRunTracker(ctx, this.name);
    const { io, pgTools } = options;
    this.runner = createBackupRunner(ctx, { metrics: this.metrics, hostname: this.hostname, io, pgTools });
    this.owner = this.runner.owner;
    this.statfs = options.statfs ?? realStatFs;
    this.watchLease = new Lease(ctx.stores.leases, jobLeaseName("watch"), this.owner, ctx.config.leaseTtlMs, ctx.clock);
    const backup = ctx.config.backup;
    for (const job of BACKUP_JOBS) {
      if (!backup.jobs[job].enabled) continue;
      const name = jobLeaseName(job);
      const cron = new CronJob(
        {
          clock: ctx.clock,
          logger: ctx.logger,
          ticks: ctx.stores.ticks,
          claimedBy: ctx.instanceId,
          onError: (error) => ctx.reportCrash(error),
        },
        {
          name,
          schedule: new CronSchedule(backup.jobs[job].schedule, backup.timezone),
          misfireGraceMs: backup.misfireGraceMs,
          lock: new Lease(ctx.stores.leases, name, this.owner, ctx.config.leaseTtlMs, ctx.clock),
          run: (tick, signal) => this.runJob(job, tick, signal),
          onTick: (tick, outcome) => {
            if (outcome === "overlap" || outcome === "busy-elsewhere" || outcome === "missed") {
              this.metrics.skippedTick(job);
            }
            ctx.events.emit("cron:tick", { job: name, scheduledAt: tick.scheduledAt, catchUp: tick.catchUp, outcome });
          },
        },
      );
      this.jobs.set(job, cron);
    }
  }

  start(): Promise<void> {
    return this.guard.start(
      async () => {
        await this.tracker.setState("starting");
        await this.tracker.load();
        const recovered = await recoverInterrupted({
          store: this.runner.store,
          leases: this.ctx.stores.leases,
          instances: new InstanceStore(this.ctx.db.sql),
          clock: this.ctx.clock,
          logger: this.ctx.logger,
          backupDir: this.ctx.config.backup.dir,
          hostname: this.hostname,
          owner: this.owner,
          active: this.active,
        });
        if (recovered.failed.length > 0 || recovered.removed.length > 0) {
          this.ctx.logger.info(recovered, "recovered interrupted backups");
        }
        await this.loadHistory();
        // A claim older than the longest misfire grace can never be asked about again.
        const week = 8 * 86_400_000;
        await this.ctx.stores.ticks.prune(new Date(this.ctx.clock.now().getTime() - week));
        await this.tracker.setState("running");
        for (const job of this.jobs.values()) await job.start();
        this.updateNextRun();
        this.refreshStop = new AbortController();
        this.refresher = this.refreshLoop(this.refreshStop.signal);
        this.watcher = this.watchLoop(this.refreshStop.signal);
      },
      () => this.halt(),
    );
  }

  stop(): Promise<void> {
    return this.guard.stop(() => this.halt());
  }

  status(): ServiceStatus {
    this.updateNextRun();
    return this.tracker.status(this.details());
  }

  private async halt(): Promise<void> {
    await this.tracker.setState("stopping");
    this.refreshStop.abort();
    await this.refresher;
    await this.watcher;
    if (this.watchLease.held) await this.watchLease.release().catch(() => {});
    await Promise.all([...this.jobs.values()].map((job) => job.stop(this.ctx.config.shutdownGraceMs)));
    this.tracker.nextRunAt = null;
    await this.tracker.setState("stopped");
  }

  /** `finishedOnly`: a refresh must not replace what this process knows with a run in flight. */
  private async loadHistory(finishedOnly = false): Promise<void> {
    const newest = await this.runner.store.newestByKind(BACKUP_KINDS);
    for (const [kind, { last, verified }] of newest) {
      const known = this.lastRuns.get(kind)?.startedAt.getTime() ?? 0;
      const adopt = last && !(finishedOnly && (last.status === "running" || last.startedAt.getTime() < known));
      if (adopt) this.remember(kind, last);
      if (verified?.finishedAt) this.newestVerified.set(kind, { id: verified.id, finishedAt: verified.finishedAt });
      else this.newestVerified.delete(kind);
    }
  }

  /**
   * Backups made elsewhere (`steward backup run`, or another process that claimed the tick)
   * reach status() through this refresh, so status() itself never waits on the database.
   */
  private async refreshLoop(stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      await this.ctx.clock.sleep(HISTORY_REFRESH_MS, stop);
      if (stop.aborted) return;
      await this.loadHistory(true).catch((error: unknown) =>
        this.ctx.logger.warn({ err: toError(error) }, "could not refresh backup history"),
      );
    }
  }

  /**
   * One process (the holder of the `backup:watch` lease) runs the dead man's switch, so a
   * cluster sends one alert, not one per process; every process checks its own disks.
   */
  private async watchLoop(stop: AbortSignal): Promise<void> {
    const { clock, logger } = this.ctx;
    const watch = new BackupWatch({ ...this.ctx, store: this.runner.store, statfs: this.statfs }, clock.now());
    this.watch = watch;
    // Renewed well within its TTL; the checks themselves run once a minute.
    const renewEvery = Math.min(WATCH_CHECK_MS, Math.max(1_000, Math.floor(this.ctx.config.leaseTtlMs / 3)));
    let nextCheck = 0;
    while (!stop.aborted) {
      const leader = await this.watchLease.acquire().catch(() => false);
      if (clock.now().getTime() >= nextCheck) {
        nextCheck = clock.now().getTime() + WATCH_CHECK_MS;
        try {
          if (leader) await watch.checkOverdue();
          else watch.overdue.clear();
          await watch.checkDisk();
        } catch (error) {
          logger.warn({ err: toError(error) }, "backup watch check failed");
        }
      }
      await clock.sleep(renewEvery, stop);
    }
  }

  private remember(kind: BackupKind, record: BackupRecord): void {
    const durationMs = record.finishedAt ? record.finishedAt.getTime() - record.startedAt.getTime() : null;
    this.lastRuns.set(kind, {
      id: record.id,
      status: record.status,
      startedAt: record.startedAt,
      durationMs,
      bytes: record.bytes,
      verified: record.verified,
      error: record.error,
    });
    if (record.status === "succeeded" && record.verified && record.finishedAt) {
      this.newestVerified.set(kind, { id: record.id, finishedAt: record.finishedAt });
    }
  }

  /** One scheduled run: a backup of the job's kind, or a rotation. */
  private async runJob(job: BackupJobName, tick: Tick, signal: AbortSignal): Promise<void> {
    const startedAt = this.ctx.clock.now();
    const running: Running = { id: null, startedAt, progress: null };
    this.running.set(job, running);
    try {
      if (job === "rotation") await this.rotate(startedAt);
      else await this.backup(job, tick, signal, running);
    } finally {
      this.running.delete(job);
      if (running.id) this.active.delete(running.id);
      this.updateNextRun();
    }
  }

  private async backup(kind: BackupKind, tick: Tick, signal: AbortSignal, running: Running): Promise<void> {
    const live = progressReporter(this.ctx, kind);
    const record = await this.runner.run(kind, {
      trigger: tick.catchUp ? "catch-up" : "schedule",
      scheduledFor: tick.scheduledAt,
      signal,
      onStart: (id) => {
        running.id = id;
        this.active.add(id);
        live.onStart(id);
      },
      onProgress: (event) => {
        running.progress = event;
        live.onProgress(event);
      },
    });
    live.finished(record);
    this.remember(kind, record);
    const error = record.status === "failed" ? new Error(record.error ?? "backup failed") : null;
    await this.tracker.record(running.startedAt, error, { job: kind, id: record.id, status: record.status });
  }

  private async rotate(startedAt: Date): Promise<void> {
    const { logger, alerter, config } = this.ctx;
    let result: RotationResult | undefined;
    try {
      result = await rotateBackups(this.runner.store, config.backup.keep, logger);
    } catch (error) {
      const err = toError(error);
      this.lastRuns.set("rotation", {
        ...emptyRun(startedAt, this.ctx.clock.now()),
        status: "failed",
        error: err.message,
      });
      await alerter.alert("error", "backup-rotation-failed", `backup rotation failed: ${err.message}`, {});
      await this.tracker.record(startedAt, err, { job: "rotation" });
      return;
    }
    this.lastRuns.set("rotation", { ...emptyRun(startedAt, this.ctx.clock.now()), status: "succeeded" });
    for (const removed of result.removed) {
      if (this.lastRuns.get(removed.kind)?.id === removed.id) this.lastRuns.delete(removed.kind);
    }
    logger.info({ removed: result.removed.length, kept: result.kept }, "rotation done");
    await this.tracker.record(startedAt, null, { job: "rotation", removed: result.removed.length, kept: result.kept });
  }

  private updateNextRun(): void {
    const times = [...this.jobs.values()].flatMap((j) => (j.nextRunAt ? [j.nextRunAt.getTime()] : []));
    this.tracker.nextRunAt = times.length > 0 ? new Date(Math.min(...times)) : null;
  }

  private details(): Record<string, unknown> {
    const backup = this.ctx.config.backup;
    const now = this.ctx.clock.now();
    const jobs: Record<string, unknown> = {};
    for (const job of BACKUP_JOBS) {
      const cron = this.jobs.get(job);
      const running = this.running.get(job);
      const last = this.lastRuns.get(job);
      jobs[job] = {
        enabled: backup.jobs[job].enabled,
        schedule: backup.jobs[job].schedule,
        nextRunAt: cron?.nextRunAt?.toISOString() ?? null,
        running: running
          ? { id: running.id, startedAt: running.startedAt.toISOString(), progress: running.progress }
          : null,
        lastBackup: last ? { ...last, startedAt: last.startedAt.toISOString() } : null,
        lastTick: cron?.lastTick
          ? { scheduledAt: cron.lastTick.scheduledAt.toISOString(), outcome: cron.lastTick.outcome }
          : null,
        skippedTicks: cron?.skippedTicks ?? 0,
      };
    }
    const newestVerified: Record<string, unknown> = {};
    for (const kind of BACKUP_KINDS) {
      const newest = this.newestVerified.get(kind);
      newestVerified[kind] = newest
        ? {
            id: newest.id,
            finishedAt: newest.finishedAt.toISOString(),
            ageSeconds: Math.max(0, Math.round((now.getTime() - newest.finishedAt.getTime()) / 1000)),
          }
        : null;
    }
    const watch = {
      leader: this.watchLease.held,
      overdue: Object.fromEntries(
        [...(this.watch?.overdue ?? [])].map(([kind, last]) => [kind, { lastSuccessAt: last?.toISOString() ?? null }]),
      ),
      lowDisk: this.watch?.lowDisk ?? [],
    };
    return { timezone: backup.timezone, dir: backup.dir, keep: backup.keep, jobs, newestVerified, watch };
  }
}

function emptyRun(startedAt: Date, now: Date): LastRun {
  return {
    id: null,
    status: "succeeded",
    startedAt,
    durationMs: now.getTime() - startedAt.getTime(),
    bytes: null,
    verified: false,
    error: null,
  };
}
