import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Alert } from "../../src/alerting/alerter.js";
import type { App } from "../../src/app.js";
import type { ServiceStatus } from "../../src/core/service.js";
import { backupServiceDefinition } from "../../src/services/backup/definition.js";
import type { BackupIo } from "../../src/services/backup/durable-file.js";
import { BackupService } from "../../src/services/backup/service.js";
import { BackupStore } from "../../src/services/backup/store.js";
import type { DiskSpace, StatFs } from "../../src/services/backup/watch.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { testApp } from "../helpers/app.js";
import { tempDir } from "../helpers/db.js";
import { advanceUntil, waitFor } from "../helpers/wait.js";

/** Every backup fails at its first write: nothing verified ever comes, as when backups quietly stop. */
const fullDisk: BackupIo = {
  createFile: (file) =>
    new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: "ENOSPC" }));
      },
    }),
};

/** A 38.1 GiB disk with this share free. */
const disk = (freePercent: number): DiskSpace => ({ bsize: 4096, blocks: 10_000_000, bavail: freePercent * 100_000 });

interface Watch {
  leader: boolean;
  overdue: Record<string, { lastSuccessAt: string | null }>;
  lowDisk: Array<{ dirs: string[]; freePercent: number }>;
}

describe("backup watch", () => {
  let cwd: string;
  let apps: App[] = [];
  beforeEach(() => {
    cwd = tempDir("steward-backup-watch-");
  });
  afterEach(async () => {
    for (const app of apps) await app.stop();
    apps = [];
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  /** The database job daily at 02:00 UTC only; every process in `cwd` shares one SQLite file. */
  function start(clock: FakeClock, env: Record<string, string>, options: { io?: BackupIo; statfs?: StatFs } = {}) {
    const definition = { ...backupServiceDefinition, create: (ctx: never) => new BackupService(ctx, options) };
    const harness = testApp([definition], {
      clock,
      cwd,
      env: {
        DATA_DIR: path.join(cwd, "data"),
        BACKUP_DATABASE_SCHEDULE: "0 2 * * *",
        BACKUP_STORAGE_ENABLED: "false",
        BACKUP_FULL_ENABLED: "false",
        BACKUP_ROTATION_ENABLED: "false",
        BACKUP_MISFIRE_GRACE_SECONDS: "0",
        ...env,
      },
    });
    apps.push(harness.app);
    return harness;
  }
  const watchOf = (app: App) => (app.supervisor.statusOf("backup") as ServiceStatus).details.watch as Watch;
  const keys = (alerts: Alert[], prefix: string) => alerts.map((a) => a.key).filter((k) => k.startsWith(prefix));

  it("alerts once, from the leader only, when no verified backup came within twice the schedule's period", async () => {
    const clock = new FakeClock("2026-01-05T01:00:00Z");
    // A lease that outlives the test's jumps in time, so leadership does not change hands mid-test.
    const env = { LEASE_TTL_SECONDS: "3600" };
    const a = start(clock, { ...env, INSTANCE_ID: "a" }, { io: fullDisk });
    const b = start(clock, { ...env, INSTANCE_ID: "b" }, { io: fullDisk });
    await a.app.start();
    await b.app.start();
    const all = () => [...a.alerts, ...b.alerts];

    // Daily: twice the period is 48 h from the start of watching. Exactly 48 h is not yet late.
    clock.set("2026-01-07T00:58:00Z");
    await clock.advance(120_000);
    expect(keys(all(), "backup-overdue")).toEqual([]);

    clock.set("2026-01-07T01:00:30Z");
    await advanceUntil(clock, () => keys(all(), "backup-overdue").length > 0, {
      what: "the overdue alert",
      stepMs: 10_000,
      ioMs: 2,
      maxMs: 500 * 10_000,
    });
    await clock.advance(30 * 60_000);
    expect(keys(all(), "backup-overdue")).toEqual(["backup-overdue:database"]);
    const alert = all().find((x) => x.key === "backup-overdue:database") as Alert;
    expect(alert.message).toBe(
      `no verified database backup in the 2 d watched: more than twice its schedule's period (1 d, "0 2 * * *")`,
    );
    const leader = watchOf(a.app).leader ? a.app : b.app;
    expect(watchOf(leader === a.app ? b.app : a.app).leader).toBe(false);
    expect(watchOf(leader).overdue).toEqual({ database: { lastSuccessAt: null } });

    // A verified backup recorded by any process ends it.
    const store = new BackupStore(a.app.db.sql);
    const at = clock.now();
    const row = { id: "good", kind: "database" as const, trigger: "manual" as const, scheduledFor: null };
    await store.insertRunning({ ...row, startedAt: at, location: path.join(cwd, "good"), instance: "other" });
    await store.succeed("good", { finishedAt: at, bytes: 1, files: [], verifiedAt: at });
    await advanceUntil(clock, () => Object.keys(watchOf(leader).overdue).length === 0, {
      what: "the overdue state to clear",
      stepMs: 10_000,
      ioMs: 2,
      maxMs: 500 * 10_000,
    });
  });

  it("counts from the newest verified backup, and names it", async () => {
    const clock = new FakeClock("2026-01-10T12:00:00Z");
    const { app, alerts } = start(clock, {}, { io: fullDisk });
    const db = new BackupStore(app.db.sql);
    await app.start();
    const finished = new Date("2026-01-08T11:59:00Z");
    const row = { id: "old", kind: "database" as const, trigger: "manual" as const, scheduledFor: null };
    await db.insertRunning({ ...row, startedAt: finished, location: path.join(cwd, "old"), instance: "x" });
    await db.succeed("old", { finishedAt: finished, bytes: 1, files: [], verifiedAt: finished });
    await advanceUntil(clock, () => keys(alerts, "backup-overdue").length > 0, {
      what: "the overdue alert",
      stepMs: 10_000,
      ioMs: 2,
      maxMs: 500 * 10_000,
    });
    expect(alerts.find((x) => x.key === "backup-overdue:database")?.message).toBe(
      `no verified database backup since 2026-01-08T11:59:00.000Z: more than twice its schedule's period (1 d, "0 2 * * *")`,
    );
  });

  it("alerts when free space under BACKUP_DIR falls below ALERT_DISK_FREE_PERCENT, naming the variable", async () => {
    const backupDir = path.join(cwd, "backups");
    fs.mkdirSync(backupDir);
    const statfs: StatFs = async (dir) => (dir === backupDir ? disk(4) : disk(50));
    const { app, alerts } = start(new FakeClock(), { BACKUP_DIR: backupDir }, { statfs });
    await app.start();
    await waitFor(() => keys(alerts, "disk-space").length > 0, { what: "the disk alert" });
    expect(alerts.filter((x) => x.key.startsWith("disk-space"))).toEqual([
      expect.objectContaining({
        severity: "warning",
        key: "disk-space-low:BACKUP_DIR",
        message: `free space under BACKUP_DIR (${backupDir}) is 4.0% (1.5 GiB of 38.1 GiB), below ALERT_DISK_FREE_PERCENT=10`,
      }),
    ]);
    expect(watchOf(app).lowDisk).toEqual([{ dirs: ["BACKUP_DIR"], freePercent: 4 }]);
  });

  it("sends one alert naming both when DATA_DIR and BACKUP_DIR are on the same full disk", async () => {
    const statfs: StatFs = async () => disk(2.5);
    const { app, alerts } = start(new FakeClock(), {}, { statfs });
    await app.start();
    await waitFor(() => keys(alerts, "disk-space").length > 0, { what: "the disk alert" });
    const data = path.join(cwd, "data");
    expect(alerts.filter((x) => x.key.startsWith("disk-space")).map((x) => [x.key, x.message])).toEqual([
      [
        "disk-space-low:DATA_DIR",
        `free space under DATA_DIR (${data}) and BACKUP_DIR (${path.join(data, "backups")}) is 2.5% ` +
          "(1.0 GiB of 38.1 GiB), below ALERT_DISK_FREE_PERCENT=10",
      ],
    ]);
  });

  it("does not look at the disks with ALERT_DISK_FREE_PERCENT=0", async () => {
    const asked: string[] = [];
    const statfs: StatFs = async (dir) => {
      asked.push(dir);
      return disk(1);
    };
    const clock = new FakeClock();
    const on = start(clock, {}, { statfs });
    await on.app.start();
    await waitFor(() => asked.length > 0, { what: "a look at the disks with the check on" });
    await on.app.stop();
    asked.length = 0;
    const off = start(clock, { ALERT_DISK_FREE_PERCENT: "0" }, { statfs });
    await off.app.start();
    // Its first round takes the lease, then checks: five minutes of rounds after that.
    await advanceUntil(clock, () => watchOf(off.app).leader, {
      what: "the watch's first round",
      stepMs: 10_000,
      ioMs: 2,
      maxMs: 500 * 10_000,
    });
    await clock.advance(5 * 60_000);
    expect(asked).toEqual([]);
    expect(keys(off.alerts, "disk-space")).toEqual([]);
  });
});
