import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { TarArchive } from "archiver";
import { Digest, READ_CHUNK } from "./durable-file.js";
import { type ArchiveEntry, unsafeEntryPath } from "./manifest.js";
import { MODE_MASK, type PartContext, type StoragePart, ZLIB_CHUNK } from "./part.js";

export const STORAGE_BACKUP_NAME = "storage.tar.gz";
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export interface Found {
  abs: string;
  rel: string;
  stats: fs.Stats;
}

/**
 * Depth-first in name order, a directory before its contents, never following a symbolic
 * link: a link is an entry of its own, so nothing outside the tree is ever read.
 */
export async function* walk(root: string, rel = ""): AsyncGenerator<Found> {
  const dir = rel ? path.join(root, rel) : root;
  let names: string[];
  try {
    names = (await fs.promises.readdir(dir)).sort();
  } catch (error) {
    throw new Error(`cannot read the directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  for (const name of names) {
    const childRel = rel ? `${rel}/${name}` : name;
    const abs = path.join(root, childRel);
    const stats = await fs.promises.lstat(abs).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`cannot read ${abs}: ${error.code ?? error.message}`);
    });
    yield { abs, rel: childRel, stats };
    if (stats.isDirectory()) yield* walk(root, childRel);
  }
}

/** Counts what the archive will hold, for progress and the manifest. */
async function scan(root: string, signal: AbortSignal): Promise<{ entries: number; bytes: number }> {
  let entries = 0;
  let bytes = 0;
  for await (const found of walk(root)) {
    signal.throwIfAborted();
    entries += 1;
    if (found.stats.isFile()) bytes += found.stats.size;
  }
  return { entries, bytes };
}

function kindOf(stats: fs.Stats): string {
  if (stats.isSocket()) return "a socket";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "a device";
  return "not a file, directory or link";
}

/**
 * Archives STORAGE_DIR as a streaming tar.gz. Entries are fed one at a time, each file opened
 * only when its turn comes, so memory and open files stay flat whatever the tree's size.
 * Every entry's size and sha256 go to the manifest, which the verification reads back.
 */
export async function archiveStorage(ctx: PartContext, root: string): Promise<StoragePart> {
  const rootStats = await fs.promises.stat(root).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`STORAGE_DIR ${root} cannot be read: ${error.code ?? error.message}`);
  });
  if (!rootStats.isDirectory()) throw new Error(`STORAGE_DIR ${root} is not a directory`);
  const totals = await scan(root, ctx.signal);
  ctx.progress({ phase: "archive", done: 0, total: totals.bytes, unit: "bytes" });

  // Loaded here, not with the module: archiver weighs some 10 MB of memory that an idle
  // Steward, which archives once a week, would otherwise hold all the time.
  const { TarArchive } = await import("archiver");
  const archive = exactNames(
    new TarArchive({ gzip: true, gzipOptions: { level: ctx.compressionLevel, chunkSize: ZLIB_CHUNK } }),
  );
  const digest = new Digest();
  const written = pipeline(archive, digest, ctx.io.createFile(path.join(ctx.dir, STORAGE_BACKUP_NAME)), {
    signal: ctx.signal,
  });
  const broken = new Promise<never>((_resolve, reject) => {
    archive.on("error", reject);
    archive.on("warning", reject);
    // The file failing (disk full) ends the pipeline early; the feeding must stop too.
    written.then(
      () => reject(new Error("the archive ended before every entry was written")),
      (error: unknown) => reject(error),
    );
  });
  broken.catch(() => {});
  const entries: ArchiveEntry[] = [];
  const skipped: StoragePart["source"]["skipped"] = [];
  let bytes = 0;
  try {
    for await (const found of walk(root)) {
      ctx.signal.throwIfAborted();
      const entry = await addEntry(archive, found, broken, skipped);
      if (!entry) continue;
      entries.push(entry);
      bytes += entry.size ?? 0;
      ctx.progress({ phase: "archive", done: bytes, total: totals.bytes, unit: "bytes" });
    }
    await Promise.race([archive.finalize(), broken]);
    await written;
  } catch (error) {
    archive.abort();
    digest.destroy();
    await written.catch(() => {});
    throw error;
  }
  return {
    file: { name: STORAGE_BACKUP_NAME, role: "storage", size: digest.bytes, sha256: digest.sha256, entries },
    source: { dir: root, entries: entries.length, bytes, skipped },
  };
}

async function addEntry(
  archive: TarArchive,
  found: Found,
  broken: Promise<never>,
  skipped: StoragePart["source"]["skipped"],
): Promise<ArchiveEntry | undefined> {
  const { stats, rel, abs } = found;
  const mode = stats.mode & MODE_MASK;
  const unsafe = unsafeEntryPath(rel);
  if (unsafe) {
    // A restore refuses such a name, so archiving it would only fail the verification.
    skipped.push({ path: rel, reason: `its name ${unsafe}` });
    return undefined;
  }
  if (stats.isSymbolicLink()) {
    const target = await fs.promises.readlink(abs);
    const data = { name: rel, type: "symlink" as const, linkname: target, mode, date: stats.mtime };
    await appended(archive, broken, () => archive.append(Buffer.alloc(0), data));
    return { path: rel, type: "symlink", mode, target };
  }
  if (stats.isDirectory()) {
    const data = { name: rel, type: "directory" as const, mode, date: stats.mtime };
    await appended(archive, broken, () => archive.append(Buffer.alloc(0), data));
    return { path: rel, type: "directory", mode, mtimeMs: Math.trunc(stats.mtimeMs) };
  }
  if (!stats.isFile()) {
    skipped.push({ path: rel, reason: `is ${kindOf(stats)}` });
    return undefined;
  }
  const data = { name: rel, type: "file" as const, mode, date: stats.mtime, stats };
  const digest = new Digest();
  const handle = await fs.promises.open(abs, "r").catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read ${abs}: ${error.code ?? error.message}`);
  });
  try {
    // Exactly the size stat saw: a file growing meanwhile does not break its tar entry.
    const source =
      stats.size > 0
        ? handle.createReadStream({ start: 0, end: stats.size - 1, highWaterMark: READ_CHUNK })
        : undefined;
    const failed = new Promise<never>((_resolve, reject) => {
      source?.on("error", (error: NodeJS.ErrnoException) =>
        reject(new Error(`cannot read ${abs}: ${error.code ?? error.message}`)),
      );
    });
    failed.catch(() => {});
    await appended(archive, Promise.race([broken, failed]), () => {
      if (source) archive.append(source.pipe(digest), data);
      else archive.append(Buffer.alloc(0), data);
    });
    if (stats.size > 0 && digest.bytes !== stats.size) throw new Error(`${abs} shrank while it was archived`);
    const sha256 = stats.size > 0 ? digest.sha256 : EMPTY_SHA256;
    return { path: rel, type: "file", mode, mtimeMs: Math.trunc(stats.mtimeMs), size: stats.size, sha256 };
  } catch (error) {
    // A system error (the backup's own file: ENOSPC, EIO) keeps its code for the caller to
    // describe; an archive error (a size mismatch) is told with the file it happened on.
    const { message, code } = error as NodeJS.ErrnoException;
    throw code || message.includes(abs) ? error : new Error(`${abs}: ${message}`);
  } finally {
    await handle.close().catch(() => {});
  }
}

interface EntryData {
  name: string;
  type?: string;
}

/**
 * archiver rewrites entry names for Windows' sake (backslashes become slashes, a leading
 * `word:` is dropped as if it were a drive letter), which would archive `2026:01.log` as
 * `01.log`. A tree's names are kept exactly as they are.
 */
function exactNames(archive: TarArchive): TarArchive {
  const target = archive as unknown as { _normalizeEntryData(data: EntryData, stats?: unknown): EntryData };
  const normalize = target._normalizeEntryData.bind(archive);
  target._normalizeEntryData = (data, stats) => {
    const name = data.name;
    const out = normalize(data, stats);
    out.name = out.type === "directory" ? `${name}/` : name;
    return out;
  };
  return archive;
}

/** Appends one entry and waits until the archive has taken it, or has failed. */
function appended(archive: TarArchive, failure: Promise<never>, append: () => void): Promise<void> {
  return Promise.race([
    new Promise<void>((resolve) => {
      archive.once("entry", () => resolve());
      append();
    }),
    failure,
  ]);
}
