import path from "node:path";
import { Cron } from "croner";
import { Problem, type Values, v } from "./fields.js";
import { VarProblem } from "./host.js";

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  // `..` as a whole component, not a prefix: `..cache` is a child like any other.
  return relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

function cron(def: string, describe: string) {
  return v.custom<string>(def, describe, (raw) => {
    try {
      new Cron(raw, { paused: true });
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, "") : String(error);
      throw new Problem(`is not a cron expression (minute hour day month weekday): ${reason}`);
    }
    return raw;
  });
}

function timezone(def: string, describe: string) {
  return v.custom<string>(def, describe, (raw) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: raw });
    } catch {
      throw new Problem("is not an IANA time zone (e.g. UTC, Europe/Berlin)");
    }
    return raw;
  });
}

export const backupVars = {
  BACKUP_DATABASE_ENABLED: v.bool(true, "run the scheduled database backup"),
  BACKUP_DATABASE_SCHEDULE: cron("0 2 * * *", "cron schedule of the database backup"),
  BACKUP_STORAGE_ENABLED: v.bool(false, "run the scheduled storage backup"),
  BACKUP_STORAGE_SCHEDULE: cron("0 3 * * 0", "cron schedule of the storage backup"),
  BACKUP_FULL_ENABLED: v.bool(true, "run the scheduled full (database and storage) backup"),
  BACKUP_FULL_SCHEDULE: cron("0 3 * * 0", "cron schedule of the full backup"),
  BACKUP_ROTATION_ENABLED: v.bool(true, "run the scheduled rotation of old backups"),
  BACKUP_ROTATION_SCHEDULE: cron("0 4 * * *", "cron schedule of the rotation"),
  BACKUP_DIR: v.optionalString("where backups are written", { defaultNote: "DATA_DIR/backups" }),
  STORAGE_DIR: v.optionalString("the tree a storage backup archives", { defaultNote: "DATA_DIR/storage" }),
  BACKUP_TIMEZONE: timezone("UTC", "time zone the backup schedules are read in"),
  BACKUP_KEEP: v.int(7, "successful backups kept per kind", 1, 10_000),
  BACKUP_MISFIRE_GRACE_SECONDS: v.int(
    300,
    "a tick missed while down runs at start-up if it is this recent",
    0,
    7 * 86_400,
  ),
  BACKUP_COMPRESSION_LEVEL: v.int(6, "gzip level of backup archives", 0, 9),
  ALERT_DISK_FREE_PERCENT: v.number(
    10,
    "alert when the free space under DATA_DIR or BACKUP_DIR falls below this percent of the disk (0: off)",
    0,
    99,
  ),
};

export type BackupJobName = "database" | "storage" | "full" | "rotation";

export interface BackupConfig {
  jobs: Record<BackupJobName, { enabled: boolean; schedule: string }>;
  dir: string;
  storageDir: string;
  timezone: string;
  keep: number;
  misfireGraceMs: number;
  compressionLevel: number;
  /** Alert below this share of free space under DATA_DIR or BACKUP_DIR; 0 turns the check off. */
  diskFreePercent: number;
}

export function resolveBackup(values: Values<typeof backupVars>, ctx: { cwd: string; dataDir: string }): BackupConfig {
  const dir = path.resolve(ctx.cwd, values.BACKUP_DIR ?? path.join(ctx.dataDir, "backups"));
  const storageDir = path.resolve(ctx.cwd, values.STORAGE_DIR ?? path.join(ctx.dataDir, "storage"));
  if (isInside(dir, storageDir)) {
    // A storage backup would archive the backups themselves, growing without end.
    const variable = values.STORAGE_DIR && !values.BACKUP_DIR ? "STORAGE_DIR" : "BACKUP_DIR";
    throw new VarProblem(
      variable,
      (variable === "BACKUP_DIR" ? values.BACKUP_DIR : values.STORAGE_DIR) ?? "",
      `puts BACKUP_DIR (${dir}) inside STORAGE_DIR (${storageDir}); a storage backup would archive its own backups`,
    );
  }
  const job = (enabled: boolean, schedule: string | undefined) => ({ enabled, schedule: schedule ?? "" });
  return {
    jobs: {
      database: job(values.BACKUP_DATABASE_ENABLED, values.BACKUP_DATABASE_SCHEDULE),
      storage: job(values.BACKUP_STORAGE_ENABLED, values.BACKUP_STORAGE_SCHEDULE),
      full: job(values.BACKUP_FULL_ENABLED, values.BACKUP_FULL_SCHEDULE),
      rotation: job(values.BACKUP_ROTATION_ENABLED, values.BACKUP_ROTATION_SCHEDULE),
    },
    dir,
    storageDir,
    timezone: values.BACKUP_TIMEZONE ?? "UTC",
    keep: values.BACKUP_KEEP,
    misfireGraceMs: values.BACKUP_MISFIRE_GRACE_SECONDS * 1000,
    compressionLevel: values.BACKUP_COMPRESSION_LEVEL,
    diskFreePercent: values.ALERT_DISK_FREE_PERCENT,
  };
}
