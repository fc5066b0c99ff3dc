import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import tar from "tar-stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { uuidv7 } from "../../src/core/ids.js";
import { fileDigest } from "../../src/services/backup/durable-file.js";
import type { ArchiveEntry, Manifest } from "../../src/services/backup/manifest.js";
import { defaultPgTools } from "../../src/services/backup/pg-tools.js";
import { restoreBackup } from "../../src/services/backup/restore.js";
import type { BackupFileRecord, BackupRecord } from "../../src/services/backup/store.js";
import { type BackupFixture, backupFixture } from "../helpers/backup-support.js";
import { sqliteTestDb, type TestDb, tempDir } from "../helpers/db.js";

interface Crafted {
  name: string;
  type: "file" | "directory" | "symlink";
  content?: string;
  linkname?: string;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function asManifestEntry(entry: Crafted): ArchiveEntry {
  if (entry.type === "symlink") return { path: entry.name, type: "symlink", mode: 0o644, target: entry.linkname };
  if (entry.type === "directory") return { path: entry.name, type: "directory", mode: 0o755 };
  const content = entry.content ?? "";
  return { path: entry.name, type: "file", mode: 0o644, size: Buffer.byteLength(content), sha256: sha256(content) };
}

/** A storage backup on disk and in the table, its archive and manifest written by hand. */
async function craftBackup(f: BackupFixture, entries: Crafted[], listed: ArchiveEntry[]): Promise<BackupRecord> {
  const id = uuidv7();
  const location = path.join(f.backupDir, `storage-crafted-${id}`);
  fs.mkdirSync(location, { recursive: true });
  const pack = tar.pack();
  for (const entry of entries) {
    const mode = entry.type === "directory" ? 0o755 : 0o644;
    if (entry.type === "file") pack.entry({ name: entry.name, type: "file", mode }, entry.content ?? "");
    else pack.entry({ name: entry.name, type: entry.type, mode, linkname: entry.linkname });
  }
  pack.finalize();
  const archive = path.join(location, "storage.tar.gz");
  await pipeline(pack, zlib.createGzip(), fs.createWriteStream(archive));
  const digest = await fileDigest(archive);
  const now = new Date();
  const manifest: Manifest = {
    format: 1,
    kind: "storage",
    id,
    startedAt: now.toISOString(),
    finishedAt: now.toISOString(),
    steward: "0.0.0",
    instance: "crafted",
    source: { storage: { dir: "/nowhere", entries: listed.length, bytes: 0, skipped: [] } },
    files: [{ name: "storage.tar.gz", role: "storage", ...digest, entries: listed }],
  };
  fs.writeFileSync(path.join(location, "manifest.json"), JSON.stringify(manifest));
  // Recorded in the row as a real backup is, so the restore gets past the check against the
  // database and reaches the archive's own entries: the row is no defence against these.
  const files: BackupFileRecord[] = [
    { name: "storage.tar.gz", role: "storage", ...digest },
    { name: "manifest.json", role: "manifest", ...(await fileDigest(path.join(location, "manifest.json"))) },
  ];
  await f.runner.store.insertRunning({
    id,
    kind: "storage",
    trigger: "manual",
    scheduledFor: null,
    startedAt: now,
    location,
    instance: "crafted",
  });
  await f.runner.store.succeed(id, { finishedAt: now, bytes: digest.size, files, verifiedAt: now });
  return (await f.runner.store.get(id)) as BackupRecord;
}

describe("restore of a crafted archive", () => {
  let t: TestDb;
  let f: BackupFixture;
  let outside: string;
  let target: string;
  const marker = `steward-escape-${randomBytes(4).toString("hex")}`;

  beforeEach(async () => {
    t = await sqliteTestDb();
    f = backupFixture(t);
    outside = tempDir("steward-outside-");
    target = path.join(outside, "restore-here");
  });
  afterEach(async () => {
    await t.cleanup();
    fs.rmSync(f.root, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
    fs.rmSync(`/tmp/${marker}.txt`, { force: true });
  });

  const evil: Crafted[] = [
    { name: "fine.txt", type: "file", content: "harmless" },
    { name: `../${marker}.txt`, type: "file", content: "escaped by .." },
    { name: `/tmp/${marker}.txt`, type: "file", content: "escaped by an absolute path" },
  ];

  /** Nothing was written outside the restore directory, and the refused restore left nothing inside. */
  function expectNothingWritten(): void {
    expect(fs.existsSync(path.join(outside, `${marker}.txt`))).toBe(false);
    expect(fs.existsSync(`/tmp/${marker}.txt`)).toBe(false);
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.readdirSync(outside)).toEqual([]);
  }

  it("refuses `..` and absolute entries its manifest lists, before writing anything", async () => {
    const record = await craftBackup(f, evil, evil.map(asManifestEntry));
    await expect(restoreBackup(record, target, { pgTools: defaultPgTools })).rejects.toThrow(/refusing entry/);
    expectNothingWritten();
  });

  it("refuses `..` and absolute entries the archive holds although the manifest does not list them", async () => {
    const listed = [
      asManifestEntry(evil[0] as Crafted),
      asManifestEntry({ name: "also.txt", type: "file", content: "x" }),
    ];
    for (const bad of [evil[1], evil[2]] as Crafted[]) {
      const record = await craftBackup(f, [evil[0] as Crafted, bad], listed);
      await expect(restoreBackup(record, target, { pgTools: defaultPgTools })).rejects.toThrow(
        /refusing archive entry .*(contains \.\.|is absolute)/,
      );
      expectNothingWritten();
    }
  });

  it("refuses an entry that would be written through a symbolic link restored before it", async () => {
    const linkTarget = path.join(outside, "link-target");
    fs.mkdirSync(linkTarget);
    const entries: Crafted[] = [
      { name: "link", type: "symlink", linkname: linkTarget },
      { name: "link/planted.txt", type: "file", content: "written through the link" },
    ];
    const record = await craftBackup(f, entries, entries.map(asManifestEntry));
    await expect(restoreBackup(record, target, { pgTools: defaultPgTools })).rejects.toThrow(/symbolic link/);
    expect(fs.readdirSync(linkTarget)).toEqual([]);
    expect(fs.existsSync(target)).toBe(false);
  });

  it("refuses an entry that goes through a restored link under another spelling of its path", async () => {
    const linkTarget = path.join(outside, "link-target");
    fs.mkdirSync(linkTarget);
    const entries: Crafted[] = [
      { name: "x", type: "symlink", linkname: linkTarget },
      { name: "./x/planted.txt", type: "file", content: "written through the link" },
    ];
    const record = await craftBackup(f, entries, entries.map(asManifestEntry));
    await expect(restoreBackup(record, target, { pgTools: defaultPgTools })).rejects.toThrow(/symbolic link/);
    expect(fs.readdirSync(linkTarget)).toEqual([]);
    expect(fs.existsSync(target)).toBe(false);
  });

  it("refuses a directory entry laid over a link restored before it, leaving the link's target as it was", async () => {
    const linkTarget = path.join(outside, "link-target");
    fs.mkdirSync(linkTarget, { mode: 0o700 });
    const before = fs.statSync(linkTarget);
    const entries: Crafted[] = [
      { name: "x", type: "symlink", linkname: linkTarget },
      { name: "x", type: "directory" },
    ];
    const record = await craftBackup(f, entries, entries.map(asManifestEntry));
    await expect(restoreBackup(record, target, { pgTools: defaultPgTools })).rejects.toThrow(/holds it twice/);
    const after = fs.statSync(linkTarget);
    expect(after.mode & 0o777).toBe(0o700);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(fs.existsSync(target)).toBe(false);
  });

  it("leaves an existing non-empty directory alone", async () => {
    const record = await craftBackup(f, [evil[0] as Crafted], [asManifestEntry(evil[0] as Crafted)]);
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, "precious.txt"), "keep me");
    await expect(restoreBackup(record, target, { pgTools: defaultPgTools })).rejects.toThrow(/is not empty/);
    expect(fs.readdirSync(target)).toEqual(["precious.txt"]);
  });
});
