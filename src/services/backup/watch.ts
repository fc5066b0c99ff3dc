import fs from "node:fs";
import path from "node:path";
import type { Alerter } from "../../alerting/alerter.js";
import type { Config } from "../../config/load.js";
import type { Clock } from "../../core/clock.js";
import { toError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { CronSchedule } from "../../scheduling/cron-job.js";
import { BACKUP_KINDS, type BackupKind } from "./manifest.js";
import type { LastGoodSource } from "./metrics.js";

/** The part of fs.promises.statfs used here. */
export interface DiskSpace {
  bsize: number;
  blocks: number;
  /** Blocks free to an unprivileged user (what Steward, not root, can still write). */
  bavail: number;
}

/** Injected: no test machine can fill a real disk on demand. */
export type StatFs = (dir: string) => Promise<DiskSpace>;

export const realStatFs: StatFs = (dir) => fs.promises.statfs(dir);

/**
 * Enough runs to see a weekly pattern's longest gap in a daily-or-finer schedule (weekdays
 * only: the weekend), and a few gaps of a monthly one.
 */
const RUNS_LOOKED_AT = 12;

/**
 * A schedule's period: the longest gap among its next runs. The gap between the next two alone
 * would give a weekdays-only schedule one day, and alert every Monday before its run.
 */
export function schedulePeriodMs(schedule: CronSchedule, from: Date): number | null {
  const runs = schedule.nextRuns(RUNS_LOOKED_AT, from);
  let longest = 0;
  for (let i = 1; i < runs.length; i += 1) {
    longest = Math.max(longest, (runs[i] as Date).getTime() - (runs[i - 1] as Date).getTime());
  }
  return longest > 0 ? longest : null;
}

export function describeMs(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "min"],
  ];
  for (const [size, unit] of units) if (ms >= size) return `${Number((ms / size).toFixed(1))} ${unit}`;
  return `${Math.round(ms / 1000)} s`;
}

export interface WatchDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  alerter: Alerter;
  store: LastGoodSource;
  statfs: StatFs;
}

/**
 * Two alarms a silent failure would otherwise hide: no verified backup of an enabled kind
 * within twice its schedule's period (a dead man's switch: it fires however the backups
 * stopped, even when nothing ran to fail), and too little free space where Steward writes.
 * Each alert has a key; the Alerter's cool-down keeps a lasting problem from paging every minute.
 */
export class BackupWatch {
  /** Kinds overdue at the last check, with their newest verified backup's end (null: none). */
  overdue = new Map<BackupKind, Date | null>();
  lowDisk: Array<{ dirs: string[]; freePercent: number }> = [];

  constructor(
    private readonly deps: WatchDeps,
    /** When watching began: with no verified backup at all, the time is counted from here. */
    private readonly since: Date,
  ) {}

  /** The dead man's switch; run by one process (the backup service's leader). */
  async checkOverdue(): Promise<void> {
    const { config, clock, alerter, store } = this.deps;
    const now = clock.now();
    const overdue = new Map<BackupKind, Date | null>();
    for (const kind of BACKUP_KINDS) {
      const job = config.backup.jobs[kind];
      if (!job.enabled) continue;
      const period = schedulePeriodMs(new CronSchedule(job.schedule, config.backup.timezone), now);
      if (period === null) continue;
      const last = (await store.newestVerified(kind))?.finishedAt ?? null;
      const silentFor = now.getTime() - (last ?? this.since).getTime();
      if (silentFor <= 2 * period) continue;
      overdue.set(kind, last);
      const since = last ? `since ${last.toISOString()}` : `in the ${describeMs(silentFor)} watched`;
      await alerter.alert(
        "error",
        `backup-overdue:${kind}`,
        `no verified ${kind} backup ${since}: more than twice its schedule's period (${describeMs(period)}, "${job.schedule}")`,
        { kind, lastSuccessAt: last?.toISOString() ?? null, periodSeconds: period / 1000 },
      );
    }
    this.overdue = overdue;
  }

  /** Free space under DATA_DIR and BACKUP_DIR; run by every process, since disks are per machine. */
  async checkDisk(): Promise<void> {
    const { config, alerter } = this.deps;
    const threshold = config.backup.diskFreePercent;
    const low: BackupWatch["lowDisk"] = [];
    if (threshold > 0) {
      for (const group of await this.disks()) {
        const { space, names } = group;
        const freePercent = space.blocks > 0 ? (space.bavail / space.blocks) * 100 : 100;
        if (freePercent >= threshold) continue;
        low.push({ dirs: names.map((n) => n.name), freePercent });
        const free = gib(space.bavail * space.bsize);
        const total = gib(space.blocks * space.bsize);
        await alerter.alert(
          "warning",
          `disk-space-low:${names[0]?.name}`,
          `free space under ${names.map((n) => `${n.name} (${n.dir})`).join(" and ")} is ` +
            `${freePercent.toFixed(1)}% (${free} of ${total}), below ALERT_DISK_FREE_PERCENT=${threshold}`,
          { dirs: names.map((n) => n.dir), freePercent: Number(freePercent.toFixed(2)), threshold },
        );
      }
    }
    this.lowDisk = low;
  }

  /** DATA_DIR and BACKUP_DIR, as one disk when they are on the same one (one alert, not two). */
  private async disks() {
    const { config, statfs, logger } = this.deps;
    const groups = new Map<string, { space: DiskSpace; names: Array<{ name: string; dir: string }> }>();
    for (const [name, dir] of [
      ["DATA_DIR", config.dataDir],
      ["BACKUP_DIR", config.backup.dir],
    ] as const) {
      let space: DiskSpace;
      try {
        space = await statfs(await nearestExisting(dir));
      } catch (error) {
        logger.warn({ dir, err: toError(error) }, "could not read the free space of a disk");
        continue;
      }
      // statfs names no device; equal figures, read a moment apart, are the same disk.
      const key = `${space.bsize}:${space.blocks}:${space.bavail}`;
      const group = groups.get(key) ?? { space, names: [] };
      group.names.push({ name, dir });
      groups.set(key, group);
    }
    return [...groups.values()];
  }
}

/** BACKUP_DIR may not exist before the first backup: its disk is its nearest existing parent's. */
async function nearestExisting(dir: string): Promise<string> {
  let at = dir;
  for (;;) {
    try {
      await fs.promises.stat(at);
      return at;
    } catch (error) {
      const up = path.dirname(at);
      if (up === at) throw error;
      at = up;
    }
  }
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
