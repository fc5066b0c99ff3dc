import path from "node:path";
import { Argument, type Command, Option } from "commander";
import type { CliRuntime } from "../../cli/runtime.js";
import { ago, configFrom, serviceContextFor, table, withDatabase, writeJson } from "../../cli/shared.js";
import type { Config } from "../../config/load.js";
import { toError, UserError } from "../../core/errors.js";
import { InstanceStore } from "../../db/coordination/instances.js";
import { Lease } from "../../db/coordination/leases.js";
import { CronSchedule } from "../../scheduling/cron-job.js";
import type { CommandContext, ServiceContext } from "../contract.js";
import { BACKUP_JOBS, BACKUP_KINDS, type BackupKind } from "./manifest.js";
import { BackupMetrics } from "./metrics.js";
import { defaultPgTools } from "./pg-tools.js";
import { formatBytes, progressBar } from "./progress-bar.js";
import { BackupRefused } from "./record-check.js";
import { INTERRUPTED, jobLeaseName, recoverInterrupted, runGone } from "./recovery.js";
import { rotateBackups } from "./rotation.js";
import { type BackupRunner, createBackupRunner } from "./runner.js";
import { type BackupRecord, recordJson } from "./store.js";

interface Session {
  ctx: ServiceContext;
  config: Config;
  runner: BackupRunner;
}

/** Opens the database and builds a runner that alerts like the service does (log, webhook, email). */
async function withRunner<T>(cli: CommandContext, fn: (session: Session) => Promise<T>): Promise<T> {
  const config = configFrom(cli.rt);
  return withDatabase(config, async (db) => {
    const ctx = serviceContextFor(cli, config, db);
    const runner = createBackupRunner(ctx, { metrics: new BackupMetrics(ctx.metrics.registry) });
    return fn({ ctx, config, runner });
  });
}

async function findBackup(session: Session, id: string): Promise<BackupRecord> {
  const found = await session.runner.store.find(id);
  if (found.length === 0) throw new UserError(`no backup with id ${id} (see: steward backup list)`);
  if (found.length > 1) throw new UserError(`${id} matches ${found.length} backups; give more of the id`);
  return found[0] as BackupRecord;
}

/**
 * Runs `fn` holding the job's lease, the one the service's cron job holds: a manual run never
 * goes alongside a scheduled one, and a later start can tell whether this process still lives.
 */
async function holdingJob<T>(rt: CliRuntime, session: Session, job: string, fn: (signal: AbortSignal) => Promise<T>) {
  const { ctx, runner } = session;
  const leases = ctx.stores.leases;
  await recoverInterrupted({
    store: runner.store,
    leases,
    instances: new InstanceStore(ctx.db.sql),
    clock: ctx.clock,
    logger: ctx.logger,
    backupDir: session.config.backup.dir,
    hostname: ctx.hostname,
    owner: runner.owner,
    active: new Set(),
  });
  const lease = new Lease(leases, jobLeaseName(job), runner.owner, session.config.leaseTtlMs, ctx.clock);
  if (!(await lease.acquire())) {
    const holder = (await leases.get(jobLeaseName(job)))?.holder ?? "another process";
    throw new UserError(`a ${job} run is already going (${holder}); try again when it has finished`);
  }
  const stop = new AbortController();
  let signals = 0;
  rt.onShutdownSignal((signal) => {
    signals += 1;
    if (signals > 1) rt.exitNow(130);
    stop.abort(new Error(`interrupted by ${signal}`));
  });
  try {
    return await lease.hold((lost) => fn(AbortSignal.any([stop.signal, lost])));
  } finally {
    await lease.release().catch(() => {});
  }
}

function describeRecord(record: BackupRecord): string {
  if (record.status === "failed") return `backup ${record.id} (${record.kind}) failed: ${record.error}\n`;
  const seconds = record.finishedAt
    ? ((record.finishedAt.getTime() - record.startedAt.getTime()) / 1000).toFixed(1)
    : "?";
  const verified = record.verified ? "verified" : "not verified";
  return `backup ${record.id} (${record.kind}) ${record.status}: ${formatBytes(record.bytes ?? 0)}, ${seconds} s, ${verified}\n  ${record.location}\n`;
}

function registerRun(backup: Command, cli: CommandContext): void {
  const { rt, setExit } = cli;
  backup
    .command("run")
    .description("take a backup now (or rotate old ones); exit 1 if it fails")
    .addArgument(new Argument("<kind>", "what to back up").choices([...BACKUP_KINDS, "rotation"]))
    .option("--json", "print the backup's record as JSON")
    .action(async (kind: BackupKind | "rotation", opts: { json?: boolean }) => {
      await withRunner(cli, async (session) => {
        if (kind === "rotation") {
          const result = await holdingJob(rt, session, "rotation", () =>
            rotateBackups(session.runner.store, session.config.backup.keep, session.ctx.logger),
          );
          if (opts.json) writeJson(rt, result);
          else {
            const kept = BACKUP_KINDS.map((k) => `${k} ${result.kept[k]}`).join(", ");
            rt.stdout.write(`rotation removed ${result.removed.length} backup(s); kept ${kept}\n`);
          }
          return;
        }
        const bar = !opts.json && rt.isTTY ? progressBar(rt) : undefined;
        const record = await holdingJob(rt, session, kind, (signal) =>
          session.runner.run(kind, { trigger: "manual", signal, onProgress: bar?.update }),
        );
        bar?.done();
        if (opts.json) writeJson(rt, recordJson(record));
        else rt.stdout.write(describeRecord(record));
        if (record.status !== "succeeded") setExit(1);
      });
    });
}

/**
 * The records as `backup list` shows them: a `running` row whose process is gone (SIGKILL, a
 * crash) reads `interrupted` at once, without waiting for a start to record it failed.
 */
async function listed(rt: CliRuntime, session: Session, kind: BackupKind | undefined) {
  const records = await session.runner.store.list({ kind });
  const liveness = {
    leases: session.ctx.stores.leases,
    instances: new InstanceStore(session.ctx.db.sql),
    hostname: session.ctx.hostname,
    now: rt.clock.now(),
  };
  const out: Array<Record<string, unknown>> = [];
  for (const record of records) {
    const gone = record.status === "running" && (await runGone(record, liveness));
    out.push(gone ? { ...recordJson(record), status: "interrupted", error: INTERRUPTED } : recordJson(record));
  }
  return out;
}

function registerList(backup: Command, cli: CommandContext): void {
  const { rt } = cli;
  backup
    .command("list")
    .description("list backups, newest first")
    .addOption(new Option("--kind <kind>", "only this kind").choices([...BACKUP_KINDS]))
    .option("--json", "print JSON")
    .action(async (opts: { kind?: BackupKind; json?: boolean }) => {
      await withRunner(cli, async (session) => {
        const records = await listed(rt, session, opts.kind);
        if (opts.json) {
          writeJson(rt, records);
          return;
        }
        if (records.length === 0) {
          rt.stdout.write("No backups.\n");
          return;
        }
        const now = rt.clock.now();
        const text = (value: unknown) => (value === null || value === undefined ? "" : String(value));
        const rows = records.map((r) => {
          const where = text(r.error) || text(r.location);
          return [
            text(r.id),
            text(r.kind),
            text(r.status),
            ago(text(r.startedAt), now),
            r.durationMs === null ? "-" : `${((r.durationMs as number) / 1000).toFixed(1)} s`,
            r.bytes === null ? "-" : formatBytes(r.bytes as number),
            r.verified ? "yes" : "no",
            // Cut for a terminal's width only; piped into a file or grep, the whole path.
            rt.isTTY ? where.slice(0, 80) : where,
          ];
        });
        rt.stdout.write(
          table(["ID", "KIND", "STATUS", "STARTED", "DURATION", "SIZE", "VERIFIED", "LOCATION / ERROR"], rows),
        );
      });
    });
}

function registerVerify(backup: Command, cli: CommandContext): void {
  const { rt, setExit } = cli;
  backup
    .command("verify")
    .description("read a backup back and check it against its manifest; exit 1 if it fails")
    .argument("<id>", "backup id (or an unambiguous prefix)")
    .option("--json", "print JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      await withRunner(cli, async (session) => {
        const record = await findBackup(session, id);
        if (record.status !== "succeeded") {
          throw new UserError(`backup ${record.id} is ${record.status}; there is nothing to verify`);
        }
        const error = await session.runner.verifyAgain(record);
        if (opts.json) writeJson(rt, { id: record.id, verified: error === null, error });
        else
          rt.stdout.write(error === null ? `backup ${record.id} verified\n` : `backup ${record.id} FAILED: ${error}\n`);
        if (error !== null) setExit(1);
      });
    });
}

function registerRestore(backup: Command, cli: CommandContext): void {
  const { rt } = cli;
  backup
    .command("restore")
    .description("write a backup's contents into a new or empty directory, then verify them")
    .argument("<id>", "backup id (or an unambiguous prefix)")
    .requiredOption("--to <dir>", "a new or empty directory")
    .option("--json", "print JSON")
    .action(async (id: string, opts: { to: string; json?: boolean }) => {
      await withRunner(cli, async (session) => {
        const record = await findBackup(session, id);
        const bar = !opts.json && rt.isTTY ? progressBar(rt) : undefined;
        const target = path.resolve(rt.cwd, opts.to);
        const options = { pgTools: defaultPgTools, progress: bar?.update };
        const result = await session.runner.restore(record, target, options).catch((error: unknown) => {
          bar?.done();
          // A refused or damaged archive is the backup's problem, told in one line, not a bug of ours.
          if (error instanceof UserError) throw error;
          if (error instanceof BackupRefused) throw new UserError(`refused to restore ${record.id}: ${error.message}`);
          throw new UserError(`restore of ${record.id} failed, nothing left in ${target}: ${toError(error).message}`);
        });
        bar?.done();
        if (opts.json) {
          writeJson(rt, result);
          return;
        }
        rt.stdout.write(`restored backup ${record.id} into ${result.dir} and verified it\n`);
        if (result.database) rt.stdout.write(`  database: ${result.database.file}\n`);
        if (result.storage) rt.stdout.write(`  storage:  ${result.storage.dir} (${result.storage.entries} entries)\n`);
      });
    });
}

function registerSchedule(backup: Command, rt: CliRuntime): void {
  backup
    .command("schedule")
    .description("each job's switch, schedule and next three run times")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) => {
      const { backup: settings } = configFrom(rt);
      const now = rt.clock.now();
      const jobs = BACKUP_JOBS.map((job) => {
        const { enabled, schedule } = settings.jobs[job];
        const runs = enabled ? new CronSchedule(schedule, settings.timezone).nextRuns(3, now) : [];
        const next = runs.map((d) => d.toISOString());
        return { job, enabled, schedule, timezone: settings.timezone, next };
      });
      if (opts.json) {
        writeJson(rt, jobs);
        return;
      }
      const rows = jobs.map((j) => [j.job, j.enabled ? "on" : "off", j.schedule, j.next.join("  ") || "-"]);
      rt.stdout.write(`Times in UTC; schedules read in ${settings.timezone}.\n`);
      rt.stdout.write(table(["JOB", "SWITCH", "SCHEDULE", "NEXT RUNS"], rows));
    });
}

/** `steward backup ...`: run, list, verify, restore, schedule. */
export function registerBackupCommands(program: Command, cli: CommandContext): void {
  const backup = program.command("backup").description("database and storage backups");
  registerRun(backup, cli);
  registerList(backup, cli);
  registerVerify(backup, cli);
  registerRestore(backup, cli);
  registerSchedule(backup, cli.rt);
  for (const command of backup.commands) command.exitOverride();
}
