import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BACKUP_KINDS } from "../../src/services/backup/manifest.js";
import { defaultPgTools } from "../../src/services/backup/pg-tools.js";
import { restoreBackup } from "../../src/services/backup/restore.js";
import { chooseKept, rotateBackups } from "../../src/services/backup/rotation.js";
import type { BackupRecord } from "../../src/services/backup/store.js";
import { type BackupFixture, backupFixture, capturedLogger } from "../helpers/backup-support.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";

function record(id: string, minute: number, status: BackupRecord["status"], verified: boolean): BackupRecord {
  return {
    id,
    kind: "database",
    status,
    trigger: "schedule",
    scheduledFor: null,
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, minute)),
    finishedAt: null,
    bytes: null,
    files: [],
    location: null,
    verified,
    verifiedAt: null,
    error: null,
    instance: null,
  };
}

describe("chooseKept", () => {
  it("keeps the newest successful backups, never failed ones", () => {
    const records = [
      record("a", 1, "succeeded", true),
      record("b", 2, "succeeded", true),
      record("c", 3, "failed", false),
      record("d", 4, "succeeded", true),
      record("e", 5, "succeeded", true),
    ];
    expect([...chooseKept(records, 2)].sort()).toEqual(["d", "e"]);
  });

  it("never removes the newest verified backup, even when newer unverified ones fill the quota", () => {
    const records = [
      record("old-verified", 1, "succeeded", true),
      record("newest-verified", 2, "succeeded", true),
      record("x", 3, "succeeded", false),
      record("y", 4, "succeeded", false),
    ];
    expect([...chooseKept(records, 2)].sort()).toEqual(["newest-verified", "x", "y"]);
  });
});

describeEachDialect("rotation", (_dialect, makeDb) => {
  let t: TestDb;
  let f: BackupFixture;
  beforeEach(async () => {
    t = await makeDb();
    f = backupFixture(t, { env: { BACKUP_KEEP: "3" } });
    fs.mkdirSync(path.join(f.storageDir, "a"), { recursive: true });
    fs.writeFileSync(path.join(f.storageDir, "a/file.txt"), "content ".repeat(1000));
  });
  afterEach(async () => {
    await t.cleanup();
    fs.rmSync(f.root, { recursive: true, force: true });
  });

  it("with BACKUP_KEEP=3 after ten backups of each kind leaves the newest three of each, all restorable", async () => {
    const made: Record<string, string[]> = { database: [], storage: [], full: [] };
    for (let round = 0; round < 10; round += 1) {
      for (const kind of BACKUP_KINDS) {
        const done = await f.runner.run(kind, { trigger: "schedule" });
        expect(done.status).toBe("succeeded");
        made[kind]?.push(done.id);
      }
    }
    // A failed backup goes too, its files with it.
    const broken = await f.runner.run("database", { trigger: "schedule" });
    await t.db.sql.run("update backups set status = 'failed', error = 'test' where id = ?", [broken.id]);

    const result = await rotateBackups(f.runner.store, f.config.backup.keep, capturedLogger().logger);
    expect(result.kept).toEqual({ database: 3, storage: 3, full: 3 });
    expect(result.removed).toHaveLength(22);
    expect(result.removed.find((r) => r.id === broken.id)).toMatchObject({ status: "failed" });
    expect(fs.existsSync(broken.location as string)).toBe(false);

    const left = await f.runner.store.list();
    expect(left).toHaveLength(9);
    for (const kind of BACKUP_KINDS) {
      const ids = left.filter((r) => r.kind === kind).map((r) => r.id);
      expect(ids.sort()).toEqual((made[kind] ?? []).slice(-3).sort());
    }
    // Each backup is one unit: its whole directory went with its row.
    const dirs = fs.readdirSync(f.backupDir).sort();
    expect(dirs).toEqual(left.map((r) => path.basename(r.location as string)).sort());
    for (const kept of left) {
      const out = path.join(tempDir(), "restore");
      const restored = await restoreBackup(kept, out, { pgTools: defaultPgTools });
      expect(restored.id).toBe(kept.id);
    }
  });
});
