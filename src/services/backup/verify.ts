import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { ArchiveMismatch, checkDigest, readArchive } from "./archive-reader.js";
import { Digest, fileDigest, READ_CHUNK } from "./durable-file.js";
import type { DatabaseSource, Manifest, ManifestFile } from "./manifest.js";
import { type ProgressEvent, ZLIB_CHUNK } from "./part.js";
import { type PgTools, runTool, toolError } from "./pg-tools.js";
import { checkSqlite } from "./sqlite-worker-client.js";

export interface VerifyContext {
  /** Where the backup's files are. */
  dir: string;
  /** Where a database may be restored for checking (same disk as the backup). */
  scratch: string;
  signal: AbortSignal;
  pgTools: PgTools;
  progress?(event: ProgressEvent): void;
}

/** Each file's size and sha256 against the manifest: a damaged file is named before its content is read. */
export async function checkFileDigests(dir: string, manifest: Manifest): Promise<void> {
  for (const file of manifest.files) {
    const digest = await fileDigest(path.join(dir, file.name)).catch((error: NodeJS.ErrnoException) => {
      throw new ArchiveMismatch(`${file.name} cannot be read: ${error.code ?? error.message}`);
    });
    checkDigest(file, digest.size, digest.sha256);
  }
}

/**
 * Reads every file of a backup back and checks it against the manifest; throws the first
 * problem. `digestsFirst` (a backup written earlier, which may have been damaged since) checks
 * every file's sha256 before reading any content.
 */
export async function verifyBackup(ctx: VerifyContext, manifest: Manifest, digestsFirst = false): Promise<void> {
  if (digestsFirst) await checkFileDigests(ctx.dir, manifest);
  for (const file of manifest.files) {
    const where = path.join(ctx.dir, file.name);
    if (file.role === "storage") {
      await readArchive(where, file, { signal: ctx.signal, progress: ctx.progress });
      continue;
    }
    const source = manifest.source.database;
    if (!source) throw new ArchiveMismatch(`${file.name}: the manifest has no database source`);
    if (source.dialect === "sqlite") {
      const out = path.join(ctx.scratch, `verify-${randomUUID()}.sqlite`);
      try {
        await gunzipChecked(where, file, out, ctx.signal, ctx.progress);
        await checkRestoredSqlite(out, source, ctx.signal);
      } finally {
        await removeSqliteFile(out);
      }
    } else {
      await checkPgDump(where, file, source, ctx);
    }
  }
}

/** Decompresses a SQLite backup to `out`, checking the compressed file against the manifest. */
export async function gunzipChecked(
  file: string,
  expected: ManifestFile,
  out: string,
  signal: AbortSignal,
  progress?: (event: ProgressEvent) => void,
) {
  const digest = new Digest();
  const input = fs.createReadStream(file, { highWaterMark: READ_CHUNK });
  let done = 0;
  input.on("data", (chunk) => {
    done += chunk.length;
    progress?.({ phase: "verify", done, total: expected.size, unit: "bytes" });
  });
  await pipeline(
    input,
    digest,
    zlib.createGunzip({ chunkSize: ZLIB_CHUNK }),
    fs.createWriteStream(out, { flags: "wx", mode: 0o600 }),
    { signal },
  );
  checkDigest(expected, digest.bytes, digest.sha256);
}

/** PRAGMA integrity_check passes and every table has the rows the source had at backup time. */
export async function checkRestoredSqlite(file: string, source: DatabaseSource, signal: AbortSignal): Promise<void> {
  const result = await checkSqlite(file, signal);
  if (result.integrity.length !== 1 || result.integrity[0] !== "ok") {
    throw new ArchiveMismatch(`PRAGMA integrity_check failed: ${result.integrity.slice(0, 3).join("; ")}`);
  }
  compareCounts(source.tables, result.tables);
}

export function compareCounts(expected: Record<string, number>, actual: Record<string, number>): void {
  for (const [table, rows] of Object.entries(expected)) {
    if (!(table in actual)) throw new ArchiveMismatch(`table ${table} is missing from the restored database`);
    if (actual[table] !== rows) {
      throw new ArchiveMismatch(`table ${table} has ${actual[table]} rows restored; the source had ${rows}`);
    }
  }
  for (const table of Object.keys(actual)) {
    if (!(table in expected))
      throw new ArchiveMismatch(`the restored database has a table the source had not: ${table}`);
  }
}

/** pg_restore can read the dump, and its table of contents has the data of every table counted. */
export async function checkPgDump(
  file: string,
  expected: ManifestFile,
  source: DatabaseSource,
  ctx: { signal: AbortSignal; pgTools: PgTools },
): Promise<void> {
  const digest = await fileDigest(file);
  checkDigest(expected, digest.size, digest.sha256);
  const result = await runTool(ctx.pgTools.pgRestore, ["--list", file], { signal: ctx.signal });
  if (result.code !== 0) throw toolError("pg_restore --list", result);
  const withData = new Set<string>();
  for (const line of result.stdout.split("\n")) {
    const match = / TABLE DATA (\S+) (\S+) /.exec(line);
    if (match?.[1] === source.schema && match?.[2]) withData.add(match[2]);
  }
  for (const table of Object.keys(source.tables)) {
    if (!withData.has(table)) throw new ArchiveMismatch(`pg_restore --list shows no data for table ${table}`);
  }
}

/** A SQLite file and the WAL files opening it may have left. */
export async function removeSqliteFile(file: string): Promise<void> {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) await fs.promises.rm(`${file}${suffix}`, { force: true });
}
