import fs from "node:fs";
import path from "node:path";
import { Cron } from "croner";
import { configSection, type Dirs, Problem, type Values, v } from "./fields.js";
import { VarProblem } from "./host.js";

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  // `..` as a whole component, not a prefix: `..cache` is a child like any other.
  return relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

const FIVE_FIELDS = "a five-field cron expression (minute hour day month weekday)";

/** Long enough to see 29 February come round even across 2100, which has none. */
const NEVER_MS = 10 * 366 * 86_400_000;

/**
 * Five fields (minute hour day month weekday) only: croner also reads six and seven, with
 * seconds first, so `* * * * * *` would run every second. A pattern with no run in the next
 * ten years (`0 0 31 2 *`) is refused too: the job would be on and never run.
 */
function cron(def: string, describe: string) {
  return v.custom<string>(def, describe, (raw) => {
    const fields = raw.split(/\s+/).length;
    if (!raw.startsWith("@") && fields !== 5) throw new Problem(`is not ${FIVE_FIELDS}: it has ${fields} fields`);
    let next: Date | null;
    try {
      // The wall clock only to ask "is there any run at all": a five-field pattern repeats
      // within the calendar's cycle, so the answer does not depend on the day it is asked.
      next = new Cron(raw, { paused: true, mode: "5-part" }).nextRun(new Date());
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, "") : String(error);
      throw new Problem(`is not ${FIVE_FIELDS}: ${reason}`);
    }
    if (next === null || next.getTime() - Date.now() > NEVER_MS) {
      throw new Problem("never fires: no date matches it in the next ten years");
    }
    return raw;
  });
}

function timezone(def: string, describe: string) {
  return v.custom<string>(def, describe, (raw) => {
    if (raw === "UTC") return raw; // known good, and asking Intl would load ICU's zones (cron-job.ts)
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
  BACKUP_DATABASE_SCHEDULE: cron("0 2 * * *", "five-field cron schedule of the database backup"),
  BACKUP_STORAGE_ENABLED: v.bool(false, "run the scheduled storage backup"),
  BACKUP_STORAGE_SCHEDULE: cron("0 3 * * 0", "five-field cron schedule of the storage backup"),
  BACKUP_FULL_ENABLED: v.bool(true, "run the scheduled full (database and storage) backup"),
  BACKUP_FULL_SCHEDULE: cron("0 3 * * 0", "five-field cron schedule of the full backup"),
  BACKUP_ROTATION_ENABLED: v.bool(true, "run the scheduled rotation of old backups"),
  BACKUP_ROTATION_SCHEDULE: cron("0 4 * * *", "five-field cron schedule of the rotation"),
  BACKUP_DIR: v.optionalString("where backups are written", { defaultNote: "DATA_DIR/backups" }),
  STORAGE_DIR: v.optionalString(
    "the tree a storage backup archives; when named, it must exist while storage or full backups are on",
    { defaultNote: "DATA_DIR/storage, created if missing" },
  ),
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

export const backupSection = configSection("backup", "Backups", backupVars, resolveBackup);

export function resolveBackup(values: Values<typeof backupVars>, ctx: Dirs): BackupConfig {
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
  const storageProblem = namedStorageProblem(values, storageDir);
  if (storageProblem) throw new VarProblem("STORAGE_DIR", values.STORAGE_DIR ?? "", storageProblem);
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

/**
 * A STORAGE_DIR the operator named must be a directory when a storage or full backup is on:
 * otherwise each scheduled run fails, the first one days after start-up. The default
 * (DATA_DIR/storage) is created when missing, like DATA_DIR.
 */
function namedStorageProblem(values: Values<typeof backupVars>, storageDir: string): string | null {
  if (!values.STORAGE_DIR) return null;
  const users = [
    values.BACKUP_STORAGE_ENABLED ? "BACKUP_STORAGE_ENABLED" : null,
    values.BACKUP_FULL_ENABLED ? "BACKUP_FULL_ENABLED" : null,
  ].filter(Boolean);
  if (users.length === 0) return null;
  const why = `(${users.join(" and ")} archive it)`;
  if (!fs.existsSync(storageDir)) return `does not exist ${why}`;
  if (!fs.statSync(storageDir).isDirectory()) return `is not a directory ${why}`;
  return null;
}
