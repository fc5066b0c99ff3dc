import type { BackupConfig } from "../../config/backup.js";
import { UserError } from "../../core/errors.js";
import { InstanceStore } from "../../db/coordination/instances.js";
import { Lease } from "../../db/coordination/leases.js";
import { CronSchedule } from "../../scheduling/cron-job.js";
import type { ServiceContext } from "../contract.js";
import { BACKUP_JOBS, type BackupKind } from "./manifest.js";
import type { ProgressEvent } from "./part.js";
import { INTERRUPTED, jobLeaseName, runGone } from "./recovery.js";
import { type RotationResult, rotateBackups } from "./rotation.js";
import type { BackupRunner } from "./runner.js";
import type { BackupRecord, BackupStatus } from "./store.js";

/**
 * The backup actions, one function each, called by `steward backup ...` (commands.ts) and by
 * the admin API (routes.ts) alike: neither keeps a copy of any of them. What differs is only
 * around them: the terminal's progress bar and signals, the API's answer at once and its
 * progress events.
 */
export interface BackupDeps {
  ctx: ServiceContext;
  runner: BackupRunner;
}

/**
 * Runs `fn` holding the job's lease, the one the service's cron job holds: a manual run never
 * goes alongside a scheduled one, and a later start can tell whether its process still lives.
 */
export async function withJobLease<T>(
  { ctx, runner }: BackupDeps,
  job: string,
  signal: AbortSignal,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const leases = ctx.stores.leases;
  const lease = new Lease(leases, jobLeaseName(job), runner.owner, ctx.config.leaseTtlMs, ctx.clock);
  if (!(await lease.acquire())) {
    const holder = (await leases.get(jobLeaseName(job)))?.holder ?? "another process";
    throw new JobBusy(`a ${job} run is already going (${holder}); try again when it has finished`);
  }
  try {
    return await lease.hold((lost) => fn(AbortSignal.any([signal, lost])));
  } finally {
    await lease.release().catch(() => {});
  }
}

export interface RunNowOptions {
  signal: AbortSignal;
  onProgress?(event: ProgressEvent): void;
  onStart?(id: string): void;
}

/** `backup run <kind>` and POST /backups: one backup now, under the job's lease. */
export function runBackupNow(deps: BackupDeps, kind: BackupKind, options: RunNowOptions): Promise<BackupRecord> {
  return withJobLease(deps, kind, options.signal, (signal) =>
    deps.runner.run(kind, { trigger: "manual", signal, onProgress: options.onProgress, onStart: options.onStart }),
  );
}

/** `backup run rotation` and POST /backups {kind: "rotation"}: BACKUP_KEEP applied now. */
export function rotateNow(deps: BackupDeps, signal: AbortSignal): Promise<RotationResult> {
  return withJobLease(deps, "rotation", signal, () =>
    rotateBackups(deps.runner.store, deps.ctx.config.backup.keep, deps.ctx.logger),
  );
}

/** A backup by id or an unambiguous prefix; a UserError names what is wrong. */
export async function findBackup(deps: BackupDeps, id: string): Promise<BackupRecord> {
  const found = await deps.runner.store.find(id);
  if (found.length === 0) throw new BackupNotFound(`no backup with id ${id} (see: steward backup list)`);
  if (found.length > 1) throw new UserError(`${id} matches ${found.length} backups; give more of the id`);
  return found[0] as BackupRecord;
}

/** The job's lease is held: the API answers 409. */
export class JobBusy extends UserError {}

/** No backup has that id: the API answers 404. */
export class BackupNotFound extends UserError {}

/** `backup verify` and POST /backups/:id/verify: read it back again; the reason it failed, or null. */
export async function verifyBackupNow(
  deps: BackupDeps,
  id: string,
): Promise<{ record: BackupRecord; error: string | null }> {
  const record = await findBackup(deps, id);
  if (record.status !== "succeeded") {
    throw new UserError(`backup ${record.id} is ${record.status}; there is nothing to verify`);
  }
  return { record, error: await deps.runner.verifyAgain(record) };
}

export type ListedStatus = BackupStatus | "interrupted";
export interface ListedBackup extends Omit<BackupRecord, "status"> {
  status: ListedStatus;
}

/**
 * `backup list` and GET /backups, newest first: a `running` row whose process is gone (SIGKILL,
 * a crash) reads `interrupted` at once, without waiting for a start to record it failed.
 */
export async function listBackups(
  deps: BackupDeps,
  options: { kind?: BackupKind; limit?: number; before?: { startedAt: Date; id: string } } = {},
): Promise<ListedBackup[]> {
  const { ctx, runner } = deps;
  const records = await runner.store.list(options);
  const liveness = {
    leases: ctx.stores.leases,
    instances: new InstanceStore(ctx.db.sql),
    hostname: ctx.hostname,
    now: ctx.clock.now(),
  };
  const out: ListedBackup[] = [];
  for (const record of records) {
    const gone = record.status === "running" && (await runGone(record, liveness));
    out.push(gone ? { ...record, status: "interrupted", error: INTERRUPTED } : record);
  }
  return out;
}

export interface ScheduledJob {
  job: (typeof BACKUP_JOBS)[number];
  enabled: boolean;
  schedule: string;
  timezone: string;
  next: Date[];
}

/** `backup schedule` and GET /backups/schedule: each job's switch, pattern and next runs (croner). */
export function backupSchedule(settings: BackupConfig, now: Date, count: number): ScheduledJob[] {
  return BACKUP_JOBS.map((job) => {
    const { enabled, schedule } = settings.jobs[job];
    const next = enabled ? new CronSchedule(schedule, settings.timezone).nextRuns(count, now) : [];
    return { job, enabled, schedule, timezone: settings.timezone, next };
  });
}
