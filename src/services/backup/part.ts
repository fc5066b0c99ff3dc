import type { BackupIo } from "./durable-file.js";
import type { DatabaseSource, ManifestFile, StorageSource } from "./manifest.js";

/** Large zlib chunks: far fewer round trips to the thread pool on a file of gigabytes. */
export const ZLIB_CHUNK = 256 * 1024;

/** The mode bits a backup keeps and restores: permissions, never set-id bits. */
export const MODE_MASK = 0o777;

export type Phase = "snapshot" | "compress" | "dump" | "scan" | "archive" | "verify" | "restore";

export interface ProgressEvent {
  phase: Phase;
  done: number;
  /** null while unknown (a dump's size is known only at its end). */
  total: number | null;
  unit: "bytes" | "pages";
}

/** What writing one part of a backup (the database, or the storage tree) is given. */
export interface PartContext {
  /** The backup's temporary directory: every file of the part goes here. */
  dir: string;
  io: BackupIo;
  compressionLevel: number;
  signal: AbortSignal;
  progress(event: ProgressEvent): void;
}

export interface DatabasePart {
  file: ManifestFile;
  source: DatabaseSource;
}

export interface StoragePart {
  file: ManifestFile;
  source: StorageSource;
}
