import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { INTERRUPTED } from "../../src/services/backup/recovery.js";
import { tempDir } from "../helpers/db.js";
import { baseEnv, runSteward, StewardProcess, stewardBin } from "../helpers/steward-process.js";
import { waitFor } from "../helpers/wait.js";

interface Listed {
  id: string;
  kind: string;
  status: string;
  error: string | null;
}

/**
 * 96 MB of incompressible files at gzip level 9: seconds of work, time to kill the process
 * while it writes.
 */
function bigTree(dir: string): void {
  for (let i = 0; i < 12; i += 1) {
    const sub = path.join(dir, `part-${i}`);
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, "blob.bin"), randomBytes(8 << 20));
  }
}

/** The temporary directory of a backup in progress, once its archive has real bytes in it. */
function writingNow(backupDir: string): boolean {
  if (!fs.existsSync(backupDir)) return false;
  return fs
    .readdirSync(backupDir)
    .filter((name) => name.startsWith(".tmp-"))
    .some((name) => {
      const archive = path.join(backupDir, name, "storage.tar.gz");
      return fs.existsSync(archive) && fs.statSync(archive).size > 1 << 20;
    });
}

describe("SIGKILL in the middle of a backup", () => {
  let cwd: string;
  let data: string;
  let backupDir: string;
  let env: Record<string, string>;
  const running: StewardProcess[] = [];

  beforeEach(async () => {
    cwd = tempDir("steward-backup-kill-");
    data = path.join(cwd, "data");
    backupDir = path.join(data, "backups");
    bigTree(path.join(data, "storage"));
    // Restarts schedule nothing that could run meanwhile: the database job only, on 1 January.
    env = baseEnv({
      DATA_DIR: data,
      BACKUP_COMPRESSION_LEVEL: "9",
      BACKUP_DATABASE_SCHEDULE: "0 0 1 1 *",
      BACKUP_MISFIRE_GRACE_SECONDS: "0",
      BACKUP_FULL_ENABLED: "false",
      BACKUP_ROTATION_ENABLED: "false",
    });
    // Only start and migrate create a database; `backup run` needs one.
    expect((await runSteward(["migrate"], { env, cwd })).code).toBe(0);
  });
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  /** Restarts Steward and checks nothing half-written is listed or left on disk. */
  async function restartAndCheck(): Promise<void> {
    const restarted = new StewardProcess({ env, cwd });
    running.push(restarted);
    await restarted.ready();
    const recovered = await restarted.waitForLog((l) => l.msg === "recovered interrupted backups");
    expect(recovered.failed).toHaveLength(1);
    const list = await runSteward(["backup", "list", "--json"], { env, cwd });
    const rows = JSON.parse(list.stdout) as Listed[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: "storage", status: "failed", error: INTERRUPTED });
    expect(fs.readdirSync(backupDir)).toEqual([]);
    // The killed run's lease was given up: a new storage backup can start at once.
    const next = await runSteward(["backup", "run", "storage", "--json"], {
      env: { ...env, BACKUP_COMPRESSION_LEVEL: "1" },
      cwd,
      timeoutMs: 120_000,
    });
    expect(JSON.parse(next.stdout)).toMatchObject({ status: "succeeded" });
  }

  it("of the `backup run` command: after a restart the run is failed and its temporary files are gone", async () => {
    const child: ChildProcess = spawn(process.execPath, [stewardBin, "backup", "run", "storage"], { env, cwd });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await waitFor(() => writingNow(backupDir), { what: "the archive to be half-written", timeoutMs: 60_000 });
    child.kill("SIGKILL");
    await exited;
    expect(fs.readdirSync(backupDir).some((name) => name.startsWith(".tmp-"))).toBe(true);
    // Before any restart: its process is gone, so it is listed as interrupted, not running.
    const rows = JSON.parse((await runSteward(["backup", "list", "--json"], { env, cwd })).stdout) as Listed[];
    expect(rows).toEqual([expect.objectContaining({ kind: "storage", status: "interrupted", error: INTERRUPTED })]);
    const table = await runSteward(["backup", "list"], { env, cwd });
    expect(table.stdout).toMatch(new RegExp(`${rows[0]?.id}\\s+storage\\s+interrupted\\s`));
    await restartAndCheck();
  });

  it("of the service: after a restart the run is failed and its temporary files are gone", async () => {
    // Every minute, with a grace longer than that: the tick missed just before start-up is caught up at once.
    const first = new StewardProcess({
      env: {
        ...env,
        BACKUP_STORAGE_ENABLED: "true",
        BACKUP_STORAGE_SCHEDULE: "* * * * *",
        BACKUP_MISFIRE_GRACE_SECONDS: "120",
      },
      cwd,
    });
    await first.waitForLog((l) => l.msg === "backup started" && l.kind === "storage");
    await waitFor(() => writingNow(backupDir), { what: "the archive to be half-written", timeoutMs: 60_000 });
    first.kill("SIGKILL");
    await first.exited;
    await restartAndCheck();
  });
});
