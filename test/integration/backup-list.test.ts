import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { InstanceStore } from "../../src/db/coordination/instances.js";
import { LeaseStore } from "../../src/db/coordination/leases.js";
import type { BackupKind } from "../../src/services/backup/manifest.js";
import { INTERRUPTED } from "../../src/services/backup/recovery.js";
import { BackupStore } from "../../src/services/backup/store.js";
import { runCliHere } from "../helpers/cli.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";

interface Listed {
  id: string;
  status: string;
  error: string | null;
  location: string;
}

// pid 2^22 + 1 is above Linux's pid_max: no such process exists on this host.
const DEAD_PID = 4194305;

describeEachDialect("backup list", (_dialect, makeDb) => {
  let t: TestDb;
  let cwd: string;
  let env: Record<string, string>;
  let store: BackupStore;
  const now = new Date();
  beforeEach(async () => {
    t = await makeDb();
    cwd = tempDir("steward-backup-list-");
    env = { DATABASE_URL: t.url, DATA_DIR: path.join(cwd, "data") };
    store = new BackupStore(t.db.sql);
  });
  afterEach(async () => {
    await t.cleanup();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  async function running(id: string, kind: BackupKind, owner: string, location = path.join(cwd, id)) {
    await store.insertRunning({
      id,
      kind,
      trigger: "manual",
      scheduledFor: null,
      startedAt: new Date(now.getTime() - 1000),
      location,
      instance: owner,
    });
  }
  const list = async () =>
    JSON.parse((await runCliHere(["backup", "list", "--json"], { env, cwd })).stdout) as Listed[];
  const statusOf = (rows: Listed[], id: string) => rows.find((r) => r.id === id)?.status;

  it("shows a run whose process is gone as interrupted, and a live one as running, without changing the rows", async () => {
    const leases = new LeaseStore(t.db.sql);
    // This machine (runCliHere calls it cli-test), its pid dead: gone at once, lease or not.
    await running("dead-pid-here", "database", `a/cli-test/${DEAD_PID}`);
    await leases.acquire("backup:database", `a/cli-test/${DEAD_PID}`, 60_000, now);
    // Another machine, holding its job's lease: running.
    await running("live-elsewhere", "storage", "b/elsewhere/2");
    await leases.acquire("backup:storage", "b/elsewhere/2", 60_000, now);
    // Another machine whose lease is held by nobody (it stopped renewing and it lapsed): gone.
    await running("lease-lapsed", "database", "c/elsewhere/3");
    // Another machine, lease not yet lapsed, but its `steward start` instance has stopped.
    await running("instance-stopped", "full", "d/elsewhere/4");
    await leases.acquire("backup:full", "d/elsewhere/4", 60_000, now);
    const instances = new InstanceStore(t.db.sql);
    const info = { hostname: "elsewhere", version: "x", startedAt: now, heartbeatAt: now };
    await instances.register({ id: "d", pid: 4, ...info });
    await instances.markStopped("d", now);

    const rows = await list();
    expect(statusOf(rows, "dead-pid-here")).toBe("interrupted");
    expect(rows.find((r) => r.id === "dead-pid-here")?.error).toBe(INTERRUPTED);
    expect(statusOf(rows, "live-elsewhere")).toBe("running");
    expect(statusOf(rows, "lease-lapsed")).toBe("interrupted");
    expect(statusOf(rows, "instance-stopped")).toBe("interrupted");
    // A list only reads: the next start (or `backup run`) records them failed.
    expect((await store.list()).map((r) => r.status)).toEqual(["running", "running", "running", "running"]);

    // The same instance heard from recently, and with its lease: running again.
    await instances.register({ id: "d", pid: 4, ...info });
    expect(statusOf(await list(), "instance-stopped")).toBe("running");
  });

  it("prints whole locations when piped, and cuts them at 80 characters only on a terminal", async () => {
    const location = path.join(cwd, "data", "backups", `database-20260105T020000Z-${"x".repeat(90)}`);
    await running("long", "database", `a/cli-test/${DEAD_PID}`, location);
    await store.succeed("long", { finishedAt: now, bytes: 1, files: [], verifiedAt: now });
    const piped = await runCliHere(["backup", "list"], { env, cwd, isTTY: false });
    expect(piped.stdout).toContain(location);
    const terminal = await runCliHere(["backup", "list"], { env, cwd, isTTY: true });
    expect(terminal.stdout).not.toContain(location);
    expect(terminal.stdout).toContain(location.slice(0, 80));
  });
});

describeEachDialect("the backup store's newest per kind", (_dialect, makeDb) => {
  let t: TestDb;
  afterEach(async () => t.cleanup());

  it("finds each kind's newest run and newest verified backup in one statement", async () => {
    t = await makeDb();
    const store = new BackupStore(t.db.sql);
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const add = async (id: string, kind: BackupKind, s: number) =>
      store.insertRunning({
        id,
        kind,
        trigger: "manual",
        scheduledFor: null,
        startedAt: at(s),
        location: id,
        instance: "i",
      });
    await add("db-old", "database", 1);
    await store.succeed("db-old", { finishedAt: at(2), bytes: 1, files: [], verifiedAt: at(2) });
    await add("db-new", "database", 3);
    await store.fail("db-new", "disk full", at(4));
    await add("st-run", "storage", 5);
    const newest = await store.newestByKind(["database", "storage", "full"]);
    expect(newest.get("database")?.last?.id).toBe("db-new");
    expect(newest.get("database")?.verified?.id).toBe("db-old");
    expect(newest.get("storage")?.last?.id).toBe("st-run");
    expect(newest.get("storage")?.verified).toBeUndefined();
    expect(newest.get("full")).toEqual({});
  });
});
