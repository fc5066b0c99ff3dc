import fs from "node:fs";
import type { Logger } from "../../core/logger.js";
import { BACKUP_KINDS, type BackupKind } from "./manifest.js";
import type { BackupRecord, BackupStore } from "./store.js";

export interface RotationResult {
  removed: Array<{ id: string; kind: BackupKind; status: string; location: string | null }>;
  kept: Record<BackupKind, number>;
}

/**
 * Which backups of one kind to keep: the newest `keep` successful ones, and always the newest
 * verified one even when newer unverified ones crowd it out. Failed ones are never kept.
 */
export function chooseKept(records: BackupRecord[], keep: number): Set<string> {
  const good = records
    .filter((r) => r.status === "succeeded")
    .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || b.id.localeCompare(a.id));
  const kept = new Set(good.slice(0, keep).map((r) => r.id));
  const newestVerified = good.find((r) => r.verified);
  if (newestVerified) kept.add(newestVerified.id);
  return kept;
}

/**
 * Removes backups beyond BACKUP_KEEP per kind, and failed ones, each as a whole unit: its
 * directory (every file of it) first, then its row, so a row never claims files that are gone
 * except for the moment a crash might leave, which the next rotation finishes.
 */
export async function rotateBackups(store: BackupStore, keep: number, logger: Logger): Promise<RotationResult> {
  const result: RotationResult = { removed: [], kept: { database: 0, storage: 0, full: 0 } };
  for (const kind of BACKUP_KINDS) {
    const records = await store.list({ kind });
    const kept = chooseKept(records, keep);
    result.kept[kind] = kept.size;
    for (const record of records) {
      if (record.status === "running" || kept.has(record.id)) continue;
      if (record.location) await fs.promises.rm(record.location, { recursive: true, force: true });
      await store.delete(record.id);
      result.removed.push({ id: record.id, kind, status: record.status, location: record.location });
      logger.info({ id: record.id, kind, status: record.status }, "rotation removed a backup");
    }
  }
  return result;
}
