import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { UserError } from "../../core/errors.js";
import { ArchiveMismatch, checkDigest, type EntryWriter, readArchive } from "./archive-reader.js";
import { Digest, fileDigest } from "./durable-file.js";
import { type ArchiveEntry, MANIFEST_NAME, type Manifest } from "./manifest.js";
import { MODE_MASK, type ProgressEvent } from "./part.js";
import type { PgTools } from "./pg-tools.js";
import { checkStoredBackup } from "./record-check.js";
import { walk } from "./storage-archive.js";
import type { BackupRecord } from "./store.js";
import { checkPgDump, checkRestoredSqlite, gunzipChecked } from "./verify.js";

export interface RestoreResult {
  id: string;
  kind: string;
  dir: string;
  database: { file: string; dialect: string; tables: Record<string, number> } | null;
  storage: { dir: string; entries: number } | null;
}

export interface RestoreOptions {
  pgTools: PgTools;
  signal?: AbortSignal;
  progress?(event: ProgressEvent): void;
}

/**
 * Writes a backup's contents into a new or empty directory: `database/` (the SQLite file, or
 * the PostgreSQL dump) and `storage/` (the tree), then checks what it wrote: the database's
 * integrity and row counts, the tree entry by entry against the manifest. It never touches
 * the live database. On any failure, what it wrote is removed again.
 */
export async function restoreBackup(
  record: BackupRecord,
  target: string,
  options: RestoreOptions,
): Promise<RestoreResult> {
  if (record.status !== "succeeded" || !record.location) {
    throw new UserError(`backup ${record.id} is ${record.status}; only a succeeded backup can be restored`);
  }
  // A backup that is not the one recorded, or is damaged, is refused before anything is written.
  const manifest = await checkStoredBackup(record);
  const dir = path.resolve(target);
  const created = await prepareTarget(dir);
  const signal = options.signal ?? new AbortController().signal;
  const result: RestoreResult = { id: record.id, kind: record.kind, dir, database: null, storage: null };
  try {
    for (const file of manifest.files) {
      const from = path.join(record.location, file.name);
      if (file.role === "database") result.database = await restoreDatabase(from, file, manifest, dir, signal, options);
      else result.storage = await restoreTree(from, file, path.join(dir, "storage"), signal, options.progress);
    }
    await fs.promises.copyFile(path.join(record.location, MANIFEST_NAME), path.join(dir, MANIFEST_NAME));
    return result;
  } catch (error) {
    await clear(dir, created);
    throw error;
  }
}

async function prepareTarget(dir: string): Promise<boolean> {
  let stats: fs.Stats;
  try {
    stats = await fs.promises.lstat(dir);
  } catch {
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    return true;
  }
  if (!stats.isDirectory()) throw new UserError(`--to ${dir} exists and is not a directory`);
  if ((await fs.promises.readdir(dir)).length > 0) {
    throw new UserError(`--to ${dir} is not empty; restore writes only into a new or empty directory`);
  }
  return false;
}

/** Removes what a failed restore wrote; the directory was new or empty. */
async function clear(dir: string, created: boolean): Promise<void> {
  if (created) return fs.promises.rm(dir, { recursive: true, force: true });
  for (const name of await fs.promises.readdir(dir).catch(() => [])) {
    await fs.promises.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

async function restoreDatabase(
  from: string,
  file: Manifest["files"][number],
  manifest: Manifest,
  dir: string,
  signal: AbortSignal,
  options: RestoreOptions,
): Promise<RestoreResult["database"]> {
  const source = manifest.source.database;
  if (!source) throw new ArchiveMismatch("the manifest has no database source");
  await fs.promises.mkdir(path.join(dir, "database"), { mode: 0o700 });
  if (source.dialect === "sqlite") {
    const named = path.basename(source.location);
    const out = path.join(dir, "database", /^[^.][^/\\]*$/.test(named) ? named : "steward.db");
    await gunzipChecked(from, file, out, signal);
    await checkRestoredSqlite(out, source, signal);
    return { file: out, dialect: "sqlite", tables: source.tables };
  }
  const out = path.join(dir, "database", file.name);
  const digest = new Digest();
  await pipeline(fs.createReadStream(from), digest, fs.createWriteStream(out, { flags: "wx", mode: 0o600 }), {
    signal,
  });
  checkDigest(file, digest.bytes, digest.sha256);
  await checkPgDump(out, file, source, { signal, pgTools: options.pgTools });
  return { file: out, dialect: "pg", tables: source.tables };
}

async function restoreTree(
  from: string,
  file: Manifest["files"][number],
  root: string,
  signal: AbortSignal,
  progress?: (event: ProgressEvent) => void,
): Promise<RestoreResult["storage"]> {
  await fs.promises.mkdir(root, { mode: 0o700 });
  const dirs: ArchiveEntry[] = [];
  await readArchive(from, file, { signal, progress, write: treeWriter(root, dirs) });
  // Directory modes and times last: a read-only directory must not block writing into it,
  // and writing into one changes its time.
  for (const entry of dirs.reverse()) {
    const full = path.join(root, entry.path);
    await fs.promises.chmod(full, entry.mode & MODE_MASK);
    if (entry.mtimeMs !== undefined) await fs.promises.utimes(full, entry.mtimeMs / 1000, entry.mtimeMs / 1000);
  }
  await checkTree(root, file.entries ?? []);
  return { dir: root, entries: file.entries?.length ?? 0 };
}

/** Writes checked entries under `root`, refusing any that would land outside it. */
function treeWriter(root: string, dirs: ArchiveEntry[]): EntryWriter {
  const written = new Set<string>();
  return async (entry: ArchiveEntry, content: Readable | undefined) => {
    const full = path.join(root, ...entry.path.split("/"));
    const relative = path.relative(root, full);
    const leaves = relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
    if (relative === "" || leaves) {
      throw new ArchiveMismatch(`refusing archive entry "${entry.path}": it would be written outside ${root}`);
    }
    // A second entry at a path already written could be a directory laid over a link restored
    // before it, whose mode and times (set at the end) would then land wherever the link points.
    if (written.has(relative)) {
      throw new ArchiveMismatch(`refusing archive entry "${entry.path}": the archive holds it twice`);
    }
    written.add(relative);
    await refuseLinksOnTheWay(root, relative, entry);
    await fs.promises.mkdir(path.dirname(full), { recursive: true, mode: 0o700 });
    if (entry.type === "directory") {
      await fs.promises.mkdir(full, { recursive: true, mode: 0o700 });
      dirs.push(entry);
    } else if (entry.type === "symlink") {
      await fs.promises.symlink(entry.target ?? "", full);
    } else {
      await pipeline(content as Readable, fs.createWriteStream(full, { flags: "wx", mode: 0o600 }));
      await fs.promises.chmod(full, entry.mode & MODE_MASK);
      if (entry.mtimeMs !== undefined) await fs.promises.utimes(full, entry.mtimeMs / 1000, entry.mtimeMs / 1000);
    }
  };
}

/**
 * Writing through a link restored earlier could land anywhere the link points. Asked of the
 * file system itself, not of the names seen so far, so `./x/f` after a link `x`, or `x/f`
 * after a link `X` on a case-insensitive disk, is refused like `x/f`.
 */
async function refuseLinksOnTheWay(root: string, relative: string, entry: ArchiveEntry): Promise<void> {
  let at = root;
  for (const part of relative.split(path.sep)) {
    at = path.join(at, part);
    const stats = await fs.promises.lstat(at).catch(() => undefined);
    if (!stats) return; // not there yet, so nothing below it is either
    if (stats.isSymbolicLink()) {
      throw new ArchiveMismatch(`refusing archive entry "${entry.path}": it goes through a symbolic link`);
    }
  }
}

/** What is on disk under `root` is exactly what the manifest lists, byte for byte. */
async function checkTree(root: string, entries: ArchiveEntry[]): Promise<void> {
  const expected = new Map(entries.map((e) => [e.path, e]));
  let seen = 0;
  for await (const found of walk(root)) {
    const want = expected.get(found.rel);
    if (!want) throw new ArchiveMismatch(`restored tree has ${found.rel}, which the manifest does not list`);
    seen += 1;
    const type = found.stats.isSymbolicLink() ? "symlink" : found.stats.isDirectory() ? "directory" : "file";
    if (type !== want.type) throw new ArchiveMismatch(`restored ${found.rel} is a ${type}, not a ${want.type}`);
    if (type === "symlink") {
      if ((await fs.promises.readlink(found.abs)) !== want.target) {
        throw new ArchiveMismatch(`restored link ${found.rel} points elsewhere than the manifest says`);
      }
      continue;
    }
    if ((found.stats.mode & MODE_MASK) !== (want.mode & MODE_MASK)) {
      throw new ArchiveMismatch(`restored ${found.rel} has mode ${(found.stats.mode & MODE_MASK).toString(8)}`);
    }
    if (type === "file") {
      const digest = await fileDigest(found.abs);
      if (digest.size !== want.size || digest.sha256 !== want.sha256) {
        throw new ArchiveMismatch(`restored ${found.rel} differs from the manifest`);
      }
    }
  }
  if (seen !== expected.size) throw new ArchiveMismatch(`restored ${seen} of the ${expected.size} entries listed`);
}
