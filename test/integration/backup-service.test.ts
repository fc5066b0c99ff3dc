import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import type { ServiceStatus } from "../../src/core/service.js";
import { backupServiceDefinition } from "../../src/services/backup/definition.js";
import { type BackupIo, diskIo } from "../../src/services/backup/durable-file.js";
import { INTERRUPTED } from "../../src/services/backup/recovery.js";
import { BackupService } from "../../src/services/backup/service.js";
import { BackupStore } from "../../src/services/backup/store.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { testApp } from "../helpers/app.js";
import { tempDir } from "../helpers/db.js";
import { waitFor, waitForEvent } from "../helpers/wait.js";

interface JobDetails {
  enabled: boolean;
  schedule: string;
  nextRunAt: string | null;
  running: { id: string | null } | null;
  lastBackup: { id: string; status: string; bytes: number; durationMs: number; verified: boolean } | null;
  skippedTicks: number;
}

const job = (status: ServiceStatus, name: string) =>
  (status.details.jobs as Record<string, JobDetails>)[name] as JobDetails;

/** Only the database job, daily at 02:00 UTC, unless `env` says otherwise. */
function backupEnv(cwd: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    DATA_DIR: path.join(cwd, "data"),
    BACKUP_DATABASE_SCHEDULE: "0 2 * * *",
    BACKUP_STORAGE_ENABLED: "false",
    BACKUP_FULL_ENABLED: "false",
    BACKUP_ROTATION_ENABLED: "false",
    ...env,
  };
}

/** A disk whose writes wait for the test to open a gate: a backup that takes as long as the test likes. */
function gatedIo() {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const io: BackupIo = {
    createFile(file) {
      const real = diskIo.createFile(file);
      return new Writable({
        write(chunk: Buffer, _encoding, callback) {
          gate.then(() => real.write(chunk, callback));
        },
        final(callback) {
          gate.then(() => real.end(callback));
        },
        destroy(error, callback) {
          real.destroy();
          callback(error);
        },
      });
    },
  };
  return { io, open: () => open() };
}

describe("backup service", () => {
  let cwd: string;
  let apps: App[] = [];
  const opens: Array<() => void> = [];
  beforeEach(() => {
    cwd = tempDir("steward-backup-service-");
  });
  afterEach(async () => {
    for (const open of opens.splice(0)) open();
    for (const app of apps) await app.stop();
    apps = [];
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  function start(clock: FakeClock, env: Record<string, string> = {}, io?: BackupIo) {
    const definition = io
      ? { ...backupServiceDefinition, create: (ctx: never) => new BackupService(ctx, { io }) }
      : backupServiceDefinition;
    const harness = testApp([definition], { clock, cwd, env: backupEnv(cwd, env) });
    apps.push(harness.app);
    return harness;
  }
  const status = (app: App) => app.supervisor.statusOf("backup") as ServiceStatus;

  it("is enabled when any job is, and disabled when none is", () => {
    const { app } = start(new FakeClock(), { BACKUP_DATABASE_ENABLED: "false" });
    expect(status(app).state).toBe("disabled");
    const other = start(new FakeClock(), { BACKUP_DATABASE_ENABLED: "false", BACKUP_ROTATION_ENABLED: "true" });
    expect(status(other.app).enabled).toBe(true);
  });

  it("runs the scheduled backup and reports each job, the newest verified backup's age, and metrics", async () => {
    const clock = new FakeClock("2026-01-05T01:59:00Z");
    const { app } = start(clock);
    await app.start();
    let s = status(app);
    expect(s.state).toBe("running");
    expect(s.nextRunAt).toBe("2026-01-05T02:00:00.000Z");
    expect(job(s, "database")).toMatchObject({ enabled: true, schedule: "0 2 * * *", running: null, lastBackup: null });
    expect(job(s, "storage")).toMatchObject({ enabled: false, nextRunAt: null });
    expect((s.details.newestVerified as Record<string, unknown>).database).toBeNull();

    const recorded = waitForEvent(app.events, "run:recorded", (run) => run.service === "backup");
    await clock.advance(60_000);
    expect(await recorded).toMatchObject({ error: null, details: { job: "database", status: "succeeded" } });
    s = status(app);
    const last = job(s, "database").lastBackup;
    expect(last).toMatchObject({ status: "succeeded", verified: true });
    expect(last?.bytes).toBeGreaterThan(0);
    expect(last?.durationMs).toBe(0);
    expect(job(s, "database").nextRunAt).toBe("2026-01-06T02:00:00.000Z");
    expect(s.runs).toBe(1);

    await clock.advance(3_600_000);
    const newest = (status(app).details.newestVerified as Record<string, { id: string; ageSeconds: number }>).database;
    expect(newest).toMatchObject({ id: last?.id, ageSeconds: 3600 });

    const metrics = await (await fetch(`http://127.0.0.1:${app.port}/metrics`)).text();
    expect(metrics).toContain('steward_backup_duration_seconds_count{kind="database",status="succeeded"} 1');
    expect(metrics).toMatch(new RegExp(`steward_backup_last_bytes\\{kind="database"\\} ${last?.bytes}\\b`));
    expect(metrics).toContain("# HELP steward_backup_failures_total Failed backups");
  });

  it("shows in status, within a refresh, a backup recorded by another process", async () => {
    const clock = new FakeClock("2026-01-05T01:00:00Z");
    const { app } = start(clock);
    await app.start();
    expect(job(status(app), "database").lastBackup).toBeNull();
    // Another process (or `steward backup run`) records a verified backup in the shared table.
    const store = new BackupStore(app.db.sql);
    const at = clock.now();
    await store.insertRunning({
      id: "elsewhere-1",
      kind: "database",
      trigger: "manual",
      scheduledFor: null,
      startedAt: at,
      location: path.join(cwd, "elsewhere-1"),
      instance: "other",
    });
    await store.succeed("elsewhere-1", { finishedAt: at, bytes: 1234, files: [], verifiedAt: at });
    await clock.advance(15_000);
    await waitFor(() => job(status(app), "database").lastBackup !== null, { what: "the refresh" });
    expect(job(status(app), "database").lastBackup).toMatchObject({
      id: "elsewhere-1",
      status: "succeeded",
      bytes: 1234,
    });
    expect((status(app).details.newestVerified as Record<string, { id: string }>).database?.id).toBe("elsewhere-1");
  });

  it("skips and logs a tick that comes while the previous backup is still running", async () => {
    const clock = new FakeClock("2026-01-05T01:59:00Z");
    const gated = gatedIo();
    opens.push(gated.open);
    // No grace: the 01:55 tick is not caught up at start-up, so 02:00 is the first run.
    const env = { BACKUP_DATABASE_SCHEDULE: "*/5 * * * *", BACKUP_MISFIRE_GRACE_SECONDS: "0" };
    const { app, logs } = start(clock, env, gated.io);
    await app.start();
    await clock.advance(60_000);
    await waitFor(() => job(status(app), "database").running?.id != null, { what: "the 02:00 backup to start" });
    const skipped = waitForEvent(app.events, "cron:tick", (tick) => tick.outcome === "overlap");
    await clock.advance(300_000);
    const tick = await skipped;
    expect(tick).toMatchObject({ job: "backup:database", catchUp: false });
    expect(tick.scheduledAt.toISOString()).toBe("2026-01-05T02:05:00.000Z");
    expect(job(status(app), "database").skippedTicks).toBe(1);
    expect(logs.some((l) => l.includes("previous run still going; tick skipped") && l.includes("02:05:00"))).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${app.port}/metrics`)).text();
    expect(metrics).toContain('steward_backup_skipped_ticks_total{job="database"} 1');
    const finished = waitForEvent(app.events, "run:recorded", (run) => run.service === "backup");
    gated.open();
    await finished;
    expect(job(status(app), "database").lastBackup?.status).toBe("succeeded");
    const rows = await new BackupStore(app.db.sql).list();
    expect(rows.map((r) => r.scheduledFor?.toISOString())).toEqual(["2026-01-05T02:00:00.000Z"]);
  });

  it("runs a tick missed while down once at start-up within the grace, recorded as a catch-up", async () => {
    const { app } = start(new FakeClock("2026-01-05T02:04:00Z"));
    const tick = waitForEvent(app.events, "cron:tick", (t) => t.catchUp);
    const recorded = waitForEvent(app.events, "run:recorded", (run) => run.service === "backup");
    await app.start();
    expect(await tick).toMatchObject({ job: "backup:database", outcome: "ran" });
    await recorded;
    expect(job(status(app), "database").lastBackup).not.toBeNull();
    await app.stop();
    const second = start(new FakeClock("2026-01-05T02:04:30Z"));
    await second.app.start();
    const rows = await new BackupStore(second.app.db.sql).list();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ trigger: "catch-up", status: "succeeded" });
    expect(rows[0]?.scheduledFor?.toISOString()).toBe("2026-01-05T02:00:00.000Z");
  });

  it("marks running rows of a dead process failed at start and removes leftover temporary files", async () => {
    const clock = new FakeClock("2026-01-05T12:00:00Z");
    const { app } = start(clock);
    await app.start();
    await app.stop();
    const again = start(clock);
    const store = new BackupStore(again.app.db.sql);
    const backupDir = path.join(cwd, "data", "backups");
    // pid 2^22 + 1 is above Linux's pid_max: no such process exists on this host.
    const dead = `gone/${os.hostname()}/4194305`;
    await store.insertRunning({
      id: "dead-run",
      kind: "database",
      trigger: "schedule",
      scheduledFor: null,
      startedAt: clock.now(),
      location: path.join(backupDir, "database-x-dead-run"),
      instance: dead,
    });
    fs.mkdirSync(path.join(backupDir, ".tmp-dead-run"), { recursive: true });
    fs.writeFileSync(path.join(backupDir, ".tmp-dead-run", "snapshot.sqlite"), "half");
    await again.app.start();
    expect(await store.get("dead-run")).toMatchObject({ status: "failed", error: INTERRUPTED });
    expect(fs.readdirSync(backupDir)).toEqual([]);
  });
});
