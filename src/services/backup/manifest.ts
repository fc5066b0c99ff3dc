import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BackupIo } from "./durable-file.js";

export type BackupKind = "database" | "storage" | "full";
export const BACKUP_KINDS: readonly BackupKind[] = ["database", "storage", "full"];

/** The service's cron jobs: one per kind, and rotation. */
export const BACKUP_JOBS = ["database", "storage", "full", "rotation"] as const;

/** One entry of a storage archive, as the manifest records it and a restore checks it. */
export interface ArchiveEntry {
  /** Relative, with `/` separators; never absolute, never `..`. */
  path: string;
  type: "file" | "directory" | "symlink";
  mode: number;
  /** Modification time, epoch milliseconds (files and directories). */
  mtimeMs?: number;
  size?: number;
  sha256?: string;
  /** A symbolic link's target, exactly as stored in the tree. */
  target?: string;
}

export interface ManifestFile {
  name: string;
  role: "database" | "storage";
  size: number;
  sha256: string;
  /** For a storage archive: every entry, in archive order. */
  entries?: ArchiveEntry[];
}

export interface DatabaseSource {
  dialect: "sqlite" | "pg";
  /** The SQLite file, or the PostgreSQL server and database (no password). */
  location: string;
  /** PostgreSQL: the schema dumped (Steward's tables live in the connection's schema). */
  schema?: string;
  /** Rows per table, counted inside the snapshot the backup was taken from. */
  tables: Record<string, number>;
}

export interface StorageSource {
  dir: string;
  entries: number;
  bytes: number;
  /** Entries not archived (sockets, FIFOs, devices) and why. */
  skipped: Array<{ path: string; reason: string }>;
}

export interface Manifest {
  format: 1;
  kind: BackupKind;
  id: string;
  startedAt: string;
  finishedAt: string;
  steward: string;
  instance: string;
  source: { database?: DatabaseSource; storage?: StorageSource };
  files: ManifestFile[];
}

export const MANIFEST_NAME = "manifest.json";

export async function writeManifest(io: BackupIo, dir: string, manifest: Manifest): Promise<void> {
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  await pipeline(Readable.from([Buffer.from(text)]), io.createFile(path.join(dir, MANIFEST_NAME)));
}

export async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, MANIFEST_NAME);
  return parseManifest(await readManifestBytes(dir), file);
}

/** The manifest's bytes as they are on disk: what its recorded sha256 is checked against. */
export async function readManifestBytes(dir: string): Promise<Buffer> {
  const file = path.join(dir, MANIFEST_NAME);
  try {
    return await fs.promises.readFile(file);
  } catch (error) {
    throw new Error(`cannot read the manifest ${file}: ${(error as Error).message}`);
  }
}

/** `file` names the manifest in errors. */
export function parseManifest(bytes: Buffer, file: string): Manifest {
  const text = bytes.toString("utf8");
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch {
    throw new Error(`the manifest ${file} is not valid JSON`);
  }
  if (manifest.format !== 1 || !Array.isArray(manifest.files) || !BACKUP_KINDS.includes(manifest.kind)) {
    throw new Error(`the manifest ${file} is not a Steward backup manifest (format 1)`);
  }
  for (const listed of manifest.files) {
    // Names are joined to the backup's directory: one that is not a plain file name is refused.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(String(listed.name))) {
      throw new Error(`the manifest ${file} lists a file named ${JSON.stringify(listed.name)}`);
    }
  }
  return manifest;
}

/**
 * Why an archive path is unsafe to write under a restore directory, or undefined when it is
 * safe: absolute paths and `..` components, as this platform's file system reads them. On
 * POSIX `c:invoice.pdf` and `..\\notes.txt` are ordinary file names (a storage backup must keep
 * them); only Windows reads them as a drive and a parent directory.
 */
export function unsafeEntryPath(name: string, windows = process.platform === "win32"): string | undefined {
  if (name === "" || name === "." || name === "./") return "is empty";
  if (name.includes("\0")) return "contains a NUL byte";
  if (name.startsWith("/") || (windows && (/^[a-zA-Z]:/.test(name) || name.startsWith("\\")))) return "is absolute";
  const parts = name.replace(/\/+$/, "").split(windows ? /[/\\]/ : "/");
  if (parts.includes("..")) return "contains ..";
  return undefined;
}
