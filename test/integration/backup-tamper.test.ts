import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { fileDigest } from "../../src/services/backup/durable-file.js";
import { MANIFEST_NAME, type Manifest } from "../../src/services/backup/manifest.js";
import { defaultPgTools } from "../../src/services/backup/pg-tools.js";
import { BackupRefused } from "../../src/services/backup/record-check.js";
import type { BackupRecord } from "../../src/services/backup/store.js";
import { type BackupFixture, backupFixture } from "../helpers/backup-support.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";

/**
 * The attack: someone who can write BACKUP_DIR but not the database swaps a backup's archive
 * for another one (here: a real archive of other files) and rewrites manifest.json so that
 * every size and sha256 in it matches. Everything on disk agrees with itself.
 */
async function replaceArchive(f: BackupFixture, victim: BackupRecord): Promise<void> {
  fs.writeFileSync(path.join(f.storageDir, "planted.txt"), "not what was backed up");
  const other = await f.runner.run("storage", { trigger: "manual" });
  expect(other.status).toBe("succeeded");
  const from = other.location as string;
  const to = victim.location as string;
  fs.copyFileSync(path.join(from, "storage.tar.gz"), path.join(to, "storage.tar.gz"));
  const manifest = JSON.parse(fs.readFileSync(path.join(from, MANIFEST_NAME), "utf8")) as Manifest;
  const forged = { ...manifest, id: victim.id, startedAt: victim.startedAt.toISOString() };
  fs.writeFileSync(path.join(to, MANIFEST_NAME), `${JSON.stringify(forged, null, 2)}\n`);
}

const refusal = /^the manifest of backup \S+ is not the one recorded at backup time \(sha256 \w+…, recorded \w+…\)/;

describeEachDialect("a backup replaced on disk", (_dialect, makeDb) => {
  let t: TestDb;
  let f: BackupFixture;
  let victim: BackupRecord;
  beforeEach(async () => {
    t = await makeDb();
    f = backupFixture(t);
    fs.writeFileSync(path.join(f.storageDir, "real.txt"), "the real data");
    victim = await f.runner.run("storage", { trigger: "manual" });
    expect(victim.status).toBe("succeeded");
    await replaceArchive(f, victim);
  });
  afterEach(async () => {
    await t.cleanup();
    fs.rmSync(f.root, { recursive: true, force: true });
  });

  it("is refused by verify, becomes failed and raises its own alert", async () => {
    const reason = await f.runner.verifyAgain(victim);
    expect(reason).toMatch(refusal);
    expect(reason).toContain(victim.id);
    const after = await f.runner.store.get(victim.id);
    expect(after).toMatchObject({ status: "failed", verified: false });
    expect(after?.error).toMatch(/^verification failed: the manifest of backup/);
    expect(f.alerts.map((a) => [a.severity, a.key])).toEqual([["critical", "backup-altered:storage"]]);
    expect(f.alerts[0]?.message).toContain(`backup ${victim.id} refused: the manifest`);
  });

  it("is refused by restore before anything is written, becomes failed and raises its own alert", async () => {
    const target = path.join(f.root, "restore-here");
    const restoring = f.runner.restore(victim, target, { pgTools: defaultPgTools });
    await expect(restoring).rejects.toBeInstanceOf(BackupRefused);
    await expect(restoring).rejects.toThrow(refusal);
    expect(fs.existsSync(target)).toBe(false);
    expect(await f.runner.store.get(victim.id)).toMatchObject({ status: "failed", verified: false });
    expect(f.alerts.map((a) => a.key)).toEqual(["backup-altered:storage"]);
  });

  it("is refused when the manifest's file list differs from the row's, even with the manifest's digest right", async () => {
    // As if the attacker could also rewrite the manifest's recorded digest, but not each file's.
    const forged = await fileDigest(path.join(victim.location as string, MANIFEST_NAME));
    const files = victim.files.map((file) => (file.role === "manifest" ? { ...file, ...forged } : file));
    await t.db.sql.run("update backups set files = ? where id = ?", [JSON.stringify(files), victim.id]);
    const reason = await f.runner.verifyAgain((await f.runner.store.get(victim.id)) as BackupRecord);
    expect(reason).toBe(`the files listed by the manifest of backup ${victim.id} differ from those recorded`);
    expect(f.alerts.map((a) => a.key)).toEqual(["backup-altered:storage"]);
  });
});
