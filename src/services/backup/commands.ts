import path from "node:path";
import { Argument, type Command, Option } from "commander";
import type { CliRuntime } from "../../cli/runtime.js";
import { ago, configFrom, serviceContextFor, table, withDatabase, writeJson } from "../../cli/shared.js";
import type { Config } from "../../config/load.js";
import { toError, UserError } from "../../core/errors.js";
import { InstanceStore } from "../../db/coordination/instances.js";
import type { CommandContext, ServiceContext } from "../contract.js";
import { backupSchedule, findBackup, listBackups, rotateNow, runBackupNow, verifyBackupNow } from "./actions.js";
import { BACKUP_KINDS, type BackupKind } from "./manifest.js";
import { BackupMetrics } from "./metrics.js";
import { defaultPgTools } from "./pg-tools.js";
import { formatBytes, progressBar } from "./progress-bar.js";
import { BackupRefused } from "./record-check.js";
import { recoverInterrupted } from "./recovery.js";
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

/**
 * Runs `fn` as a job of its own: a run a dead earlier process left `running` is failed first
 * (this is a fresh process), then `fn` goes under the job's lease (actions.ts), stopped by
 * the first SIGINT or SIGTERM and ended at once by a second.
 */
async function asJob<T>(rt: CliRuntime, session: Session, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { ctx, runner } = session;
  await recoverInterrupted({
    store: runner.store,
    leases: ctx.stores.leases,
    instances: new InstanceStore(ctx.db.sql),
    clock: ctx.clock,
    logger: ctx.logger,
    backupDir: session.config.backup.dir,
    hostname: ctx.hostname,
    owner: runner.owner,
    active: new Set(),
  });
  const stop = new AbortController();
  let signals = 0;
  rt.onShutdownSignal((signal) => {
    signals += 1;
    if (signals > 1) rt.exitNow(130);
    stop.abort(new Error(`interrupted by ${signal}`));
  });
  return run(stop.signal);
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
          const result = await asJob(rt, session, (signal) => rotateNow(session, signal));
          if (opts.json) writeJson(rt, result);
          else {
            const kept = BACKUP_KINDS.map((k) => `${k} ${result.kept[k]}`).join(", ");
            rt.stdout.write(`rotation removed ${result.removed.length} backup(s); kept ${kept}\n`);
          }
          return;
        }
        const bar = !opts.json && rt.isTTY ? progressBar(rt) : undefined;
        const record = await asJob(rt, session, (signal) =>
          runBackupNow(session, kind, { signal, onProgress: bar?.update }),
        );
        bar?.done();
        if (opts.json) writeJson(rt, recordJson(record));
        else rt.stdout.write(describeRecord(record));
        if (record.status !== "succeeded") setExit(1);
      });
    });
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
        const records = (await listBackups(session, { kind: opts.kind })).map((r) => recordJson(r));
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
        const { record, error } = await verifyBackupNow(session, id);
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
      const jobs = backupSchedule(settings, rt.clock.now(), 3).map((j) => ({
        ...j,
        next: j.next.map((d) => d.toISOString()),
      }));
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
