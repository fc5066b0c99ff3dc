import { createHash } from "node:crypto";
import fs from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import type tar from "tar-stream";
import { Digest, READ_CHUNK } from "./durable-file.js";
import { type ArchiveEntry, type ManifestFile, unsafeEntryPath } from "./manifest.js";
import { MODE_MASK, type ProgressEvent, ZLIB_CHUNK } from "./part.js";

export class ArchiveMismatch extends Error {
  override readonly name = "ArchiveMismatch";
}

/** Receives each checked entry; `content` (files only) must be consumed. */
export type EntryWriter = (entry: ArchiveEntry, content: Readable | undefined) => Promise<void>;

function fromHeader(header: tar.Header): { path: string; type: string; mode: number; size: number; target?: string } {
  return {
    path: header.name.replace(/\/+$/, ""),
    type: header.type ?? "file",
    mode: (header.mode ?? 0) & MODE_MASK,
    size: header.size ?? 0,
    target: header.linkname ?? undefined,
  };
}

/**
 * Reads a storage archive back and checks it against its manifest: the archive file's size
 * and sha256, then every entry in order (path, type, mode, size, link target, content
 * sha256), none missing and none extra. Paths that would leave a restore directory (absolute,
 * `..`) are refused before anything is done with the entry. With `write`, each checked entry
 * is also handed over for writing (restore).
 */
export async function readArchive(
  file: string,
  expected: ManifestFile,
  options: { signal: AbortSignal; progress?: (event: ProgressEvent) => void; write?: EntryWriter },
): Promise<void> {
  const wanted = expected.entries ?? [];
  for (const entry of wanted) {
    const unsafe = unsafeEntryPath(entry.path);
    if (unsafe) throw new ArchiveMismatch(`refusing entry "${entry.path}" listed in the manifest: its path ${unsafe}`);
  }
  const digest = new Digest();
  // Loaded on first use: only verify and restore read archives (see storage-archive.ts).
  const { default: tarStream } = await import("tar-stream");
  const extract = tarStream.extract();
  const reading = pipeline(
    fs.createReadStream(file, { highWaterMark: READ_CHUNK }),
    digest,
    zlib.createGunzip({ chunkSize: ZLIB_CHUNK }),
    extract,
    { signal: options.signal },
  );
  reading.catch(() => {});
  const total = wanted.reduce((sum, e) => sum + (e.size ?? 0), 0);
  let index = 0;
  let done = 0;
  try {
    for await (const stream of extract) {
      const got = fromHeader(stream.header);
      const unsafe = unsafeEntryPath(got.path);
      if (unsafe) throw new ArchiveMismatch(`refusing archive entry "${stream.header.name}": its path ${unsafe}`);
      const want = wanted[index];
      index += 1;
      if (!want) throw new ArchiveMismatch(`the archive has an entry the manifest does not list: ${got.path}`);
      compareHeader(want, got);
      await consume(want, stream as AsyncIterable<Buffer>, options.write);
      done += want.size ?? 0;
      options.progress?.({ phase: options.write ? "restore" : "verify", done, total, unit: "bytes" });
    }
    await reading;
  } catch (error) {
    extract.destroy();
    throw error;
  }
  if (index !== wanted.length) {
    throw new ArchiveMismatch(`the archive ends after ${index} of the ${wanted.length} entries its manifest lists`);
  }
  checkDigest(expected, digest.bytes, digest.sha256);
}

function compareHeader(want: ArchiveEntry, got: ReturnType<typeof fromHeader>): void {
  if (got.path !== want.path) {
    throw new ArchiveMismatch(`archive entry "${got.path}" found where the manifest lists "${want.path}"`);
  }
  if (!["file", "directory", "symlink"].includes(got.type)) {
    throw new ArchiveMismatch(`refusing archive entry "${got.path}" of type ${got.type}`);
  }
  if (got.type !== want.type)
    throw new ArchiveMismatch(`${want.path}: a ${got.type} in the archive, a ${want.type} in the manifest`);
  if (want.type === "symlink" && got.target !== want.target) {
    throw new ArchiveMismatch(`${want.path}: link target "${got.target}" differs from the manifest's "${want.target}"`);
  }
  if (want.type !== "symlink" && got.mode !== (want.mode & MODE_MASK)) {
    throw new ArchiveMismatch(`${want.path}: mode ${got.mode.toString(8)} differs from the manifest`);
  }
  if (want.type === "file" && got.size !== want.size) {
    throw new ArchiveMismatch(`${want.path}: ${got.size} bytes in the archive, ${want.size} in the manifest`);
  }
}

/** An archive entry's content: tar-stream's own (streamx) readable, iterated. */
type EntryContent = AsyncIterable<Buffer>;

async function consume(want: ArchiveEntry, content: EntryContent, write: EntryWriter | undefined): Promise<void> {
  if (want.type !== "file") {
    for await (const _chunk of content) {
      // directories and links carry no data; draining lets the archive go on
    }
    if (write) await write(want, undefined);
    return;
  }
  let sha256: string;
  if (write) {
    const digest = new Digest();
    await write(want, Readable.from(content).pipe(digest));
    sha256 = digest.sha256;
  } else {
    const hash = createHash("sha256");
    for await (const chunk of content) hash.update(chunk);
    sha256 = hash.digest("hex");
  }
  if (sha256 !== want.sha256) throw new ArchiveMismatch(`${want.path}: content sha256 differs from the manifest`);
}

/** A backup file's size and sha256 against its manifest line. */
export function checkDigest(expected: ManifestFile, bytes: number, sha256: string): void {
  if (bytes !== expected.size) {
    throw new ArchiveMismatch(`${expected.name} is ${bytes} bytes; the manifest says ${expected.size}`);
  }
  if (sha256 !== expected.sha256) throw new ArchiveMismatch(`${expected.name}: sha256 differs from the manifest`);
}
