import fs from "node:fs";
import path from "node:path";
import type { Alerter } from "../../alerting/alerter.js";
import type { Config } from "../../config/load.js";
import type { Clock } from "../../core/clock.js";
import { toError } from "../../core/errors.js";
import { uuidv7 } from "../../core/ids.js";
import type { Logger } from "../../core/logger.js";
import { stewardVersion } from "../../core/project.js";
import type { Database } from "../../db/open.js";
import type { ServiceContext } from "../contract.js";
import { type BackupIo, describeIoError, diskIo, fileDigest, fsyncDir } from "./durable-file.js";
import { type BackupKind, MANIFEST_NAME, type Manifest, writeManifest } from "./manifest.js";
import type { BackupMetrics } from "./metrics.js";
import type { PartContext, ProgressEvent } from "./part.js";
import { backupPg } from "./pg-backup.js";
import { defaultPgTools, type PgTools } from "./pg-tools.js";
import { BackupRefused, checkAgainstRecord } from "./record-check.js";
import { type RestoreOptions, type RestoreResult, restoreBackup } from "./restore.js";
import { ownerId } from "./run-owner.js";
import { backupSqlite } from "./sqlite-backup.js";
import { archiveStorage } from "./storage-archive.js";
import { type BackupRecord, BackupStore, type BackupTrigger } from "./store.js";
import { verifyBackup } from "./verify.js";

export interface BackupRunnerDeps {
  config: Config;
  db: Database;
  clock: Clock;
  logger: Logger;
  alerter: Alerter;
  metrics: BackupMetrics;
  /** This process as a run owner (see run-owner.ts). */
  owner: string;
  /** This process, for the names of its scratch directories (see recovery.ts). */
  hostname: string;
  pid: number;
  io?: BackupIo;
  pgTools?: PgTools;
}

export interface RunOptions {
  trigger: BackupTrigger;
  scheduledFor?: Date | null;
  signal?: AbortSignal;
  onProgress?(event: ProgressEvent): void;
  onStart?(id: string): void;
}

/**
 * The runner of the process `ctx` describes: the one the service schedules, and the one a
 * `steward backup` command runs by hand. `hostname` stands in for the context's in tests.
 */
export function createBackupRunner(
  ctx: ServiceContext,
  parts: { metrics: BackupMetrics; hostname?: string; io?: BackupIo; pgTools?: PgTools },
): BackupRunner {
  const hostname = parts.hostname ?? ctx.hostname;
  return new BackupRunner({
    config: ctx.config,
    db: ctx.db,
    clock: ctx.clock,
    logger: ctx.logger,
    alerter: ctx.alerter,
    metrics: parts.metrics,
    owner: ownerId(ctx.instanceId, hostname, ctx.pid),
    hostname,
    pid: ctx.pid,
    io: parts.io,
    pgTools: parts.pgTools,
  });
}

/** `database-20260105T020000Z-<id>`: sorts by kind, then time, in a listing of BACKUP_DIR. */
export function backupDirName(kind: BackupKind, startedAt: Date, id: string): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${kind}-${stamp}-${id}`;
}

export const TEMP_PREFIX = ".tmp-";

/**
 * Takes one backup from start to a verdict: a `running` row, every file written under a
 * temporary directory and fsynced, the manifest, verification by reading everything back,
 * then one rename into place and `succeeded`. Any failure removes the temporary files,
 * records `failed` with the reason and alerts; nothing half-written is ever in place.
 */
export class BackupRunner {
  readonly store: BackupStore;
  private readonly io: BackupIo;
  private readonly pgTools: PgTools;

  constructor(private readonly deps: BackupRunnerDeps) {
    this.store = new BackupStore(deps.db.sql);
    this.io = deps.io ?? diskIo;
    this.pgTools = deps.pgTools ?? defaultPgTools;
  }

  /** This process as the owner of its runs and of the job leases it takes. */
  get owner(): string {
    return this.deps.owner;
  }

  get backupDir(): string {
    return this.deps.config.backup.dir;
  }

  async run(kind: BackupKind, options: RunOptions): Promise<BackupRecord> {
    const { clock, logger } = this.deps;
    const startedAt = clock.now();
    const id = uuidv7(startedAt);
    const location = path.join(this.backupDir, backupDirName(kind, startedAt, id));
    const temp = path.join(this.backupDir, `${TEMP_PREFIX}${id}`);
    const signal = options.signal ?? new AbortController().signal;
    const progress = options.onProgress ?? (() => {});
    await this.store.insertRunning({
      id,
      kind,
      trigger: options.trigger,
      scheduledFor: options.scheduledFor ?? null,
      startedAt,
      location,
      instance: this.deps.owner,
    });
    options.onStart?.(id);
    logger.info({ id, kind, trigger: options.trigger }, "backup started");
    let renamed = false;
    try {
      await this.makeTempDir(temp);
      const manifest = await this.write(kind, id, startedAt, { dir: temp, signal, progress });
      await verifyBackup({ dir: temp, scratch: temp, signal, pgTools: this.pgTools, progress }, manifest);
      await fs.promises.rename(temp, location);
      renamed = true;
      await fsyncDir(this.backupDir);
      const files = await this.recordedFiles(location, manifest);
      const bytes = files.reduce((sum, f) => sum + f.size, 0);
      const verifiedAt = clock.now();
      await this.store.succeed(id, { finishedAt: new Date(manifest.finishedAt), bytes, files, verifiedAt });
      const seconds = (verifiedAt.getTime() - startedAt.getTime()) / 1000;
      this.deps.metrics.succeeded(kind, seconds, bytes);
      logger.info({ id, kind, bytes, seconds, location }, "backup succeeded and verified");
    } catch (error) {
      await this.failed(kind, id, startedAt, error, signal, renamed ? [temp, location] : [temp]);
    }
    return (await this.store.get(id)) as BackupRecord;
  }

  /**
   * Verifies a finished backup again (`backup verify`): the manifest and files against the
   * row first, then every file's content. A failure makes it `failed`, so rotation never keeps
   * it in place of a good one, and alerts. Resolves to the reason, or null.
   */
  async verifyAgain(record: BackupRecord, signal: AbortSignal = new AbortController().signal): Promise<string | null> {
    const scratch = await fs.promises.mkdtemp(
      path.join(this.backupDir, `${TEMP_PREFIX}verify-${this.deps.hostname}-${this.deps.pid}-`),
    );
    try {
      const manifest = await checkAgainstRecord(record);
      await verifyBackup({ dir: record.location ?? "", scratch, signal, pgTools: this.pgTools }, manifest, true);
      await this.store.recordVerification(record.id, this.deps.clock.now(), null);
      return null;
    } catch (error) {
      await this.refused(record, error);
      return toError(error).message;
    } finally {
      await fs.promises.rm(scratch, { recursive: true, force: true });
    }
  }

  /** `backup restore`: a backup refused before anything is written becomes `failed` and alerts, as in verify. */
  async restore(record: BackupRecord, target: string, options: RestoreOptions): Promise<RestoreResult> {
    try {
      return await restoreBackup(record, target, options);
    } catch (error) {
      if (error instanceof BackupRefused) await this.refused(record, error);
      throw error;
    }
  }

  private async refused(record: BackupRecord, error: unknown): Promise<void> {
    const reason = toError(error).message;
    await this.store.recordVerification(record.id, this.deps.clock.now(), reason);
    const context = { id: record.id, kind: record.kind };
    // Its own key: a replaced backup must not be muted by the cool-down of an ordinary failure.
    if (error instanceof BackupRefused && error.altered) {
      await this.deps.alerter.alert(
        "critical",
        `backup-altered:${record.kind}`,
        `backup ${record.id} refused: ${reason}`,
        context,
      );
      return;
    }
    await this.deps.alerter.alert(
      "error",
      `backup-verify-failed:${record.kind}`,
      `backup ${record.id} failed verification: ${reason}`,
      context,
    );
  }

  private async makeTempDir(temp: string): Promise<void> {
    try {
      await fs.promises.mkdir(this.backupDir, { recursive: true, mode: 0o700 });
      await fs.promises.mkdir(temp, { mode: 0o700 });
    } catch (error) {
      throw new Error(`BACKUP_DIR ${this.backupDir} is not writable: ${describeIoError(error, this.backupDir)}`);
    }
  }

  private async write(
    kind: BackupKind,
    id: string,
    startedAt: Date,
    part: Pick<PartContext, "dir" | "signal" | "progress">,
  ): Promise<Manifest> {
    const { config, db } = this.deps;
    const ctx: PartContext = { ...part, io: this.io, compressionLevel: config.backup.compressionLevel };
    const manifest: Manifest = {
      format: 1,
      kind,
      id,
      startedAt: startedAt.toISOString(),
      finishedAt: "",
      steward: stewardVersion(),
      instance: this.deps.owner,
      source: {},
      files: [],
    };
    try {
      if (kind === "database" || kind === "full") {
        const driver = db.driver;
        const dbPart =
          driver.dialect === "sqlite"
            ? await backupSqlite(ctx, db.description)
            : await backupPg(
                ctx,
                { pool: driver.pool, url: config.database.url, description: db.description },
                this.pgTools,
              );
        manifest.files.push(dbPart.file);
        manifest.source.database = dbPart.source;
      }
      if (kind === "storage" || kind === "full") {
        const storageDir = config.backup.storageDir;
        // The embedded default (DATA_DIR/storage) is created like DATA_DIR is; a STORAGE_DIR the
        // operator named must exist, or the backup fails saying so.
        if (storageDir === path.join(config.dataDir, "storage"))
          await fs.promises.mkdir(storageDir, { recursive: true, mode: 0o700 });
        const storagePart = await archiveStorage(ctx, storageDir);
        manifest.files.push(storagePart.file);
        manifest.source.storage = storagePart.source;
      }
      manifest.finishedAt = this.deps.clock.now().toISOString();
      await writeManifest(this.io, part.dir, manifest);
      await fsyncDir(part.dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Only write-side failures: a read failure already names the file it could not read.
      if (code && ["ENOSPC", "EDQUOT", "EROFS"].includes(code)) {
        throw new Error(describeIoError(error, `the backup in ${this.backupDir}`));
      }
      throw error;
    }
    return manifest;
  }

  /** The files as recorded on the row: each data file, and the manifest itself. */
  private async recordedFiles(location: string, manifest: Manifest) {
    const files = manifest.files.map((f) => ({ name: f.name, role: f.role, size: f.size, sha256: f.sha256 }));
    const digest = await fileDigest(path.join(location, MANIFEST_NAME));
    return [...files, { name: MANIFEST_NAME, role: "manifest" as const, ...digest }];
  }

  private async failed(
    kind: BackupKind,
    id: string,
    startedAt: Date,
    error: unknown,
    signal: AbortSignal,
    leftovers: string[],
  ): Promise<void> {
    const { clock, logger } = this.deps;
    const reason = signal.aborted
      ? `stopped before it finished: ${toError(signal.reason).message}`
      : toError(error).message;
    for (const dir of leftovers) {
      await fs.promises
        .rm(dir, { recursive: true, force: true })
        .catch((rmError: unknown) =>
          logger.warn({ dir, err: toError(rmError) }, "could not remove a failed backup's files"),
        );
    }
    const now = clock.now();
    await this.store
      .fail(id, reason, now)
      .catch((dbError: unknown) => logger.error({ id, err: toError(dbError) }, "could not record a failed backup"));
    this.deps.metrics.failed(kind, (now.getTime() - startedAt.getTime()) / 1000);
    logger.error({ id, kind, reason }, "backup failed");
    await this.deps.alerter.alert("error", `backup-failed:${kind}`, `${kind} backup failed: ${reason}`, { id, kind });
  }
}
