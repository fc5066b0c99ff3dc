import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterEach, beforeEach, expect, it } from "vitest";
import { stewardVersion } from "../../src/core/project.js";
import { openDatabase } from "../../src/db/open.js";
import { fileDigest } from "../../src/services/backup/durable-file.js";
import { readManifest } from "../../src/services/backup/manifest.js";
import { defaultPgTools } from "../../src/services/backup/pg-tools.js";
import { restoreBackup } from "../../src/services/backup/restore.js";
import {
  type BackupFixture,
  backupFixture,
  describeTree,
  makeStorageTree,
  rowCounts,
} from "../helpers/backup-support.js";
import { describeEachDialect, TEST_DATABASE_URL, type TestDb, tempDir, withSearchPath } from "../helpers/db.js";

/** Some rows in a table of the test's own and in one of Steward's. */
async function seed(t: TestDb): Promise<void> {
  await t.db.sql.run("create table notes (id integer primary key, body text not null)");
  await t.db.sql.tx(async (tx) => {
    for (let i = 1; i <= 500; i += 1)
      await tx.run("insert into notes (id, body) values (?, ?)", [i, `note ${i} `.repeat(20)]);
  });
  await t.db.sql.run("insert into settings (key, value, updated_at) values (?, ?, ?)", [
    "email.paused",
    "false",
    new Date(),
  ]);
}

/** Restores a pg_dump into a fresh database and counts the rows of the dumped schema there. */
async function countsOfPgRestore(dump: string, schema: string): Promise<Record<string, number>> {
  const name = `restore_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  try {
    const target = new URL(TEST_DATABASE_URL as string);
    target.pathname = `/${name}`;
    const restored = spawnSync("pg_restore", ["--no-owner", "--exit-on-error", `--dbname=${target}`, dump], {
      encoding: "utf8",
    });
    expect(restored.stderr).toBe("");
    expect(restored.status).toBe(0);
    const db = openDatabase({ dialect: "pg", url: withSearchPath(target.toString(), schema) });
    try {
      return await rowCounts(db);
    } finally {
      await db.close();
    }
  } finally {
    await admin.query(`drop database ${name} with (force)`);
    await admin.end();
  }
}

describeEachDialect("backup round trip", (dialect, makeDb) => {
  let t: TestDb;
  let f: BackupFixture;
  beforeEach(async () => {
    t = await makeDb();
    f = backupFixture(t);
    await seed(t);
  });
  afterEach(async () => {
    await t.cleanup();
    fs.rmSync(f.root, { recursive: true, force: true });
  });

  it("writes a verified database backup, mode 0600, with a manifest, that restores with equal row counts", async () => {
    const before = await rowCounts(t.db);
    const record = await f.runner.run("database", { trigger: "manual" });
    expect(record.error).toBeNull();
    expect(record.status).toBe("succeeded");
    expect(record.verified).toBe(true);
    const location = record.location as string;
    const dataFile = dialect === "sqlite" ? "database.sqlite.gz" : "database.dump";
    expect(fs.readdirSync(location).sort()).toEqual([dataFile, "manifest.json"].sort());
    for (const name of fs.readdirSync(location))
      expect(fs.statSync(path.join(location, name)).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(f.backupDir)).toEqual([path.basename(location)]);

    const manifest = await readManifest(location);
    expect(manifest).toMatchObject({ format: 1, kind: "database", id: record.id, steward: stewardVersion() });
    expect(Date.parse(manifest.finishedAt)).toBeGreaterThanOrEqual(Date.parse(manifest.startedAt));
    const digest = await fileDigest(path.join(location, dataFile));
    expect(manifest.files).toEqual([{ name: dataFile, role: "database", ...digest }]);
    expect(record.bytes).toBe(record.files.reduce((sum, file) => sum + file.size, 0));
    // Counted inside the snapshot, where the backups table held this backup's own `running` row.
    expect(manifest.source.database?.tables).toEqual({ ...before, backups: 1 });
    expect(before.notes).toBe(500);

    const out = path.join(tempDir(), "restore");
    const restored = await restoreBackup(record, out, { pgTools: defaultPgTools });
    expect(fs.existsSync(path.join(out, "manifest.json"))).toBe(true);
    const file = restored.database?.file as string;
    if (dialect === "sqlite") {
      const db = openDatabase({ dialect: "sqlite", file });
      try {
        expect(db.driver.dialect === "sqlite" && db.driver.db.pragma("integrity_check", { simple: true })).toBe("ok");
        expect(await rowCounts(db)).toEqual({ ...before, backups: 1 });
      } finally {
        await db.close();
      }
    } else {
      expect(await countsOfPgRestore(file, manifest.source.database?.schema as string)).toEqual({
        ...before,
        backups: 1,
      });
    }
  });

  it("writes a storage backup that restores to a byte-identical tree, links stored as links", async () => {
    makeStorageTree(f.storageDir);
    // Ordinary POSIX names that only Windows would read as a drive or a parent directory.
    fs.writeFileSync(path.join(f.storageDir, "c:invoice.pdf"), "drive-like name");
    fs.writeFileSync(path.join(f.storageDir, "..\\notes.txt"), "backslash name");
    fs.writeFileSync(path.join(f.storageDir, "a\\b.txt"), "inner backslash");
    fs.writeFileSync(path.join(f.storageDir, "\\server"), "leading backslash");
    const record = await f.runner.run("storage", { trigger: "manual" });
    expect(record.error).toBeNull();
    expect(record.status).toBe("succeeded");
    const manifest = await readManifest(record.location as string);
    expect(manifest.source.storage?.skipped).toEqual([]);
    const entries = manifest.files[0]?.entries ?? [];
    expect(entries.find((e) => e.path === "link-outside")).toMatchObject({ type: "symlink", target: "/etc/hostname" });
    expect(entries.find((e) => e.path === "videos/link-up")).toMatchObject({ target: "../../outside-the-tree" });
    expect(manifest.source.storage?.entries).toBe(entries.length);

    const out = path.join(tempDir(), "restore");
    const restored = await restoreBackup(record, out, { pgTools: defaultPgTools });
    expect(restored.storage?.entries).toBe(entries.length);
    expect(describeTree(path.join(out, "storage"))).toEqual(describeTree(f.storageDir));
  });

  it("writes a full backup: one id, one manifest, the database and the tree both restorable", async () => {
    makeStorageTree(f.storageDir);
    const before = await rowCounts(t.db);
    const record = await f.runner.run("full", { trigger: "manual" });
    expect(record.status).toBe("succeeded");
    const manifest = await readManifest(record.location as string);
    expect(manifest.id).toBe(record.id);
    expect(manifest.files.map((file) => file.role)).toEqual(["database", "storage"]);
    expect(record.files.map((file) => file.role)).toEqual(["database", "storage", "manifest"]);
    const out = path.join(tempDir(), "restore");
    const restored = await restoreBackup(record, out, { pgTools: defaultPgTools });
    expect(describeTree(path.join(out, "storage"))).toEqual(describeTree(f.storageDir));
    expect(restored.database?.tables).toEqual({ ...before, backups: 1 });
    expect(fs.readdirSync(out).sort()).toEqual(["database", "manifest.json", "storage"]);
  });
});
