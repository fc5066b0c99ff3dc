import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeStorageTree } from "../helpers/backup-support.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";
import {
  baseEnv,
  projectRoot,
  type RunResult,
  runSteward,
  StewardProcess,
  stewardBin,
} from "../helpers/steward-process.js";

interface Listed {
  id: string;
  kind: string;
  status: string;
  verified: boolean;
  error: string | null;
  location: string;
}

const json = <T>(result: RunResult): T => JSON.parse(result.stdout) as T;

function oneLine(result: RunResult): string {
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

describeEachDialect("steward backup (the real command)", (dialect, makeDb) => {
  let t: TestDb;
  let cwd: string;
  let env: Record<string, string>;
  beforeEach(async () => {
    t = await makeDb();
    cwd = tempDir("steward-backup-cli-");
    env = baseEnv({ DATABASE_URL: t.url, DATA_DIR: path.join(cwd, "data"), BACKUP_KEEP: "2" });
    makeStorageTree(path.join(cwd, "data", "storage"));
  });
  afterEach(async () => {
    await t.cleanup();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  const steward = (...args: string[]) => runSteward(args, { env, cwd, timeoutMs: 60_000 });

  it("runs, lists, verifies and restores a backup; JSON records; exit codes", async () => {
    const run = await steward("backup", "run", "full", "--json");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const record = json<Listed>(run);
    expect(record).toMatchObject({ kind: "full", status: "succeeded", verified: true, error: null });

    const list = json<Listed[]>(await steward("backup", "list", "--json"));
    expect(list.map((r) => r.id)).toEqual([record.id]);
    expect(json<Listed[]>(await steward("backup", "list", "--kind", "storage", "--json"))).toEqual([]);
    const table = await steward("backup", "list");
    expect(table.stdout).toMatch(new RegExp(`${record.id}\\s+full\\s+succeeded`));

    const verify = await steward("backup", "verify", record.id.slice(0, 13));
    expect(verify.code).toBe(0);
    expect(verify.stdout).toBe(`backup ${record.id} verified\n`);

    const restore = await steward("backup", "restore", record.id, "--to", "restored");
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain(`restored backup ${record.id} into ${path.join(cwd, "restored")} and verified it`);
    expect(fs.readdirSync(path.join(cwd, "restored")).sort()).toEqual(["database", "manifest.json", "storage"]);

    const again = await steward("backup", "restore", record.id, "--to", "restored");
    expect(again.code).toBe(1);
    expect(oneLine(again)).toMatch(/^steward: --to .* is not empty/);
  });

  it("refuses, in one line and with an alert, a backup whose archive was replaced and manifest rewritten to match", async () => {
    const [first, second] = [
      json<Listed>(await steward("backup", "run", "full", "--json")),
      json<Listed>(await steward("backup", "run", "full", "--json")),
    ];
    fs.writeFileSync(path.join(cwd, "data", "storage", "planted.txt"), "not what was backed up");
    const other = json<Listed>(await steward("backup", "run", "full", "--json"));
    for (const victim of [first, second] as Listed[]) {
      fs.copyFileSync(path.join(other.location, "storage.tar.gz"), path.join(victim.location, "storage.tar.gz"));
      const manifest = fs.readFileSync(path.join(other.location, "manifest.json"), "utf8");
      fs.writeFileSync(path.join(victim.location, "manifest.json"), manifest.replaceAll(other.id, victim.id));
    }
    const refused = new RegExp(
      `the manifest of backup ${first?.id} is not the one recorded at backup time \\(sha256 \\w+…, recorded \\w+…\\): the backup was altered`,
    );
    const restore = await steward("backup", "restore", first?.id as string, "--to", "restored");
    expect(restore.code).toBe(1);
    const lines = restore.stderr.trim().split("\n");
    expect(lines.at(-1)).toMatch(new RegExp(`^steward: refused to restore ${first?.id}: ${refused.source}$`));
    expect(lines.filter((l) => l.startsWith("steward:"))).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ alert: "backup-altered:full", severity: "critical" });
    expect(fs.existsSync(path.join(cwd, "restored"))).toBe(false);

    const verify = await steward("backup", "verify", second?.id as string);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(
      new RegExp(
        `^backup ${second?.id} FAILED: ${refused.source.replace(first?.id as string, second?.id as string)}\n$`,
      ),
    );
    expect(verify.stderr).toContain('"alert":"backup-altered:full"');
    const list = json<Listed[]>(await steward("backup", "list", "--json"));
    expect(list.filter((r) => r.status === "succeeded").map((r) => r.id)).toEqual([other.id]);
  });

  it("says clearly what is wrong with a bad kind, an unknown id, or a failed backup, in one line", async () => {
    const kind = await steward("backup", "run", "everything");
    expect(kind.code).not.toBe(0);
    expect(oneLine(kind)).toContain("'everything' is invalid for argument 'kind'");
    const unknown = await steward("backup", "verify", "0000dead");
    expect(unknown.code).toBe(1);
    expect(oneLine(unknown)).toBe("steward: no backup with id 0000dead (see: steward backup list)");
    const missing = path.join(cwd, "no-such-storage");
    // With the scheduled storage and full backups off: with either on, validation refuses it.
    env = { ...env, STORAGE_DIR: missing, BACKUP_FULL_ENABLED: "false" };
    const failed = await steward("backup", "run", "storage", "--json");
    expect(failed.code).toBe(1);
    expect(json<Listed>(failed)).toMatchObject({ status: "failed", verified: false });
    expect(json<Listed>(failed).error).toBe(`STORAGE_DIR ${missing} cannot be read: ENOENT`);
  });

  if (dialect === "pg") {
    it("fails a PostgreSQL backup with a clear reason when pg_dump is not installed", async () => {
      env = { ...env, PATH: path.join(cwd, "no-tools-here") };
      const result = await steward("backup", "run", "database", "--json");
      expect(result.code).toBe(1);
      expect(json<Listed>(result).error).toBe(
        "pg_dump is not installed or not on PATH; PostgreSQL backups need the PostgreSQL client tools " +
          "(pg_dump and pg_restore) of the server's major version or newer",
      );
    });
  }
});

describe("steward backup, settings and permissions", () => {
  let cwd: string;
  beforeEach(() => {
    cwd = tempDir("steward-backup-cli-");
    // The unprivileged user must reach its data under the test's folder.
    fs.chmodSync(cwd, 0o755);
  });
  afterEach(() => {
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it("takes a backup by hand with scripts/backup-now.mjs, as the seed's trigger did", async () => {
    const env = baseEnv({ DATA_DIR: path.join(cwd, "data") });
    expect((await runSteward(["migrate"], { env, cwd })).code).toBe(0);
    const child = spawn(process.execPath, [path.join(projectRoot, "scripts", "backup-now.mjs"), "database", "--json"], {
      env,
      cwd,
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      kind: "database",
      status: "succeeded",
      trigger: "manual",
      verified: true,
    });
  });

  it("lists each job's switch, schedule and next three runs", async () => {
    const env = baseEnv({
      DATA_DIR: path.join(cwd, "data"),
      BACKUP_TIMEZONE: "Europe/Berlin",
      BACKUP_STORAGE_ENABLED: "true",
    });
    const result = await runSteward(["backup", "schedule", "--json"], { env, cwd });
    expect(result.code).toBe(0);
    const jobs = JSON.parse(result.stdout) as Array<{
      job: string;
      enabled: boolean;
      schedule: string;
      next: string[];
    }>;
    expect(jobs.map((j) => [j.job, j.enabled, j.schedule])).toEqual([
      ["database", true, "0 2 * * *"],
      ["storage", true, "0 3 * * 0"],
      ["full", true, "0 3 * * 0"],
      ["rotation", true, "0 4 * * *"],
    ]);
    for (const job of jobs) expect(job.next).toHaveLength(3);
    // 02:00 in Berlin is 01:00 or 00:00 UTC.
    for (const at of jobs[0]?.next ?? []) expect(new Date(at).getUTCHours()).toBeLessThan(2);
  });

  it("refuses a bad cron expression at start-up, naming the variable", async () => {
    const env = baseEnv({ DATA_DIR: path.join(cwd, "data"), BACKUP_FULL_SCHEDULE: "0 25 * * *" });
    const process = new StewardProcess({ env, cwd });
    const { code } = await process.exited;
    expect(code).toBe(2);
    expect(process.stderr.trim()).toMatch(/^BACKUP_FULL_SCHEDULE: "0 25 \* \* \*" is not a five-field cron expression/);
    expect(process.stderr.trim().split("\n")).toHaveLength(1);
  });

  // Root reads and writes whatever the modes say: as root, run the command as an unprivileged user.
  const root = process.getuid?.() === 0;
  const asUser = root ? { uid: 65534, gid: 65534 } : {};

  function runAs(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
    const child = spawn(process.execPath, [stewardBin, ...args], { env, cwd, ...asUser });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout })));
  }

  it("records a backup failed when BACKUP_DIR is not writable (mode 0500), and succeeds once it is", async () => {
    const data = path.join(cwd, "data");
    const backups = path.join(cwd, "backups");
    fs.mkdirSync(data);
    fs.mkdirSync(backups, { mode: 0o500 });
    fs.chmodSync(backups, 0o500);
    if (root) fs.chownSync(data, 65534, 65534);
    const env = baseEnv({ DATA_DIR: data, BACKUP_DIR: backups });
    expect((await runAs(["migrate"], env)).code).toBe(0);
    const failed = await runAs(["backup", "run", "database", "--json"], env);
    expect(failed.code).toBe(1);
    const record = JSON.parse(failed.stdout) as Listed;
    expect(record.status).toBe("failed");
    expect(record.error).toBe(`BACKUP_DIR ${backups} is not writable: permission denied writing ${backups}`);
    expect(fs.readdirSync(backups)).toEqual([]);
    if (root) fs.chownSync(backups, 65534, 65534);
    fs.chmodSync(backups, 0o700);
    const next = await runAs(["backup", "run", "database", "--json"], env);
    expect(next.code).toBe(0);
    expect((JSON.parse(next.stdout) as Listed).status).toBe("succeeded");
  });

  it("fails a storage backup on an unreadable file, naming its path", async () => {
    const data = path.join(cwd, "data");
    const storage = path.join(data, "storage");
    makeStorageTree(storage);
    if (root) {
      fs.chownSync(data, 65534, 65534);
      const own = (dir: string): void => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
          fs.lchownSync(path.join(dir, entry.name), 65534, 65534);
          if (entry.isDirectory()) own(path.join(dir, entry.name));
        }
      };
      own(storage);
    }
    // Written last: owned by the test's own user, and unreadable to the command's.
    const secret = path.join(storage, "portraits", "secret.jpg");
    fs.writeFileSync(secret, "private");
    fs.chmodSync(secret, 0o000);
    expect((await runAs(["migrate"], baseEnv({ DATA_DIR: data }))).code).toBe(0);
    const { code, stdout } = await runAs(["backup", "run", "storage", "--json"], baseEnv({ DATA_DIR: data }));
    expect(code).toBe(1);
    const record = JSON.parse(stdout) as Listed;
    expect(record.status).toBe("failed");
    expect(record.error).toBe(`cannot read ${secret}: EACCES`);
    expect(fs.readdirSync(path.join(data, "backups"))).toEqual([]);
  });
});
