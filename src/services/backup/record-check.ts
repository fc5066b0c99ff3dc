import { createHash } from "node:crypto";
import path from "node:path";
import { toError } from "../../core/errors.js";
import { MANIFEST_NAME, type Manifest, parseManifest, readManifestBytes } from "./manifest.js";
import type { BackupRecord } from "./store.js";
import { checkFileDigests } from "./verify.js";

/**
 * A stored backup that is not what the `backups` table recorded when it was verified
 * (replaced, rewritten, damaged or gone): it is refused, never restored or counted as good.
 */
export class BackupRefused extends Error {
  override readonly name = "BackupRefused";
  /** True when the manifest or file list differs from the row: replaced, not merely damaged. */
  constructor(
    message: string,
    readonly altered = false,
  ) {
    super(message);
  }
}

const short = (sha256: string) => sha256.slice(0, 12);

/**
 * The manifest on disk, checked against the digest the row recorded, and its file list against
 * the row's. The row is the authority: whoever can write BACKUP_DIR can replace an archive and
 * rewrite manifest.json to match it, but cannot rewrite the database.
 */
export async function checkAgainstRecord(record: BackupRecord): Promise<Manifest> {
  const location = record.location ?? "";
  const recorded = record.files.find((f) => f.role === "manifest");
  if (!recorded) {
    throw new BackupRefused(`backup ${record.id} has no manifest digest recorded in the database to check it against`);
  }
  const bytes = await readManifestBytes(location);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (bytes.length !== recorded.size || sha256 !== recorded.sha256) {
    throw new BackupRefused(
      `the manifest of backup ${record.id} is not the one recorded at backup time ` +
        `(sha256 ${short(sha256)}…, recorded ${short(recorded.sha256)}…): the backup was altered`,
      true,
    );
  }
  const manifest = parseManifest(bytes, path.join(location, MANIFEST_NAME));
  if (manifest.id !== record.id) {
    throw new BackupRefused(`the manifest in ${location} belongs to backup ${manifest.id}, not ${record.id}`, true);
  }
  const key = (f: { name: string; role: string; size: number; sha256: string }) =>
    `${f.name} ${f.role} ${f.size} ${f.sha256}`;
  const listed = manifest.files.map(key).sort();
  const want = record.files
    .filter((f) => f.role !== "manifest")
    .map(key)
    .sort();
  if (listed.join("\n") !== want.join("\n")) {
    throw new BackupRefused(`the files listed by the manifest of backup ${record.id} differ from those recorded`, true);
  }
  return manifest;
}

/**
 * Everything that can be checked before reading content: the manifest and file list against
 * the row, then each file's size and sha256 on disk. Any failure is a BackupRefused.
 */
export async function checkStoredBackup(record: BackupRecord): Promise<Manifest> {
  try {
    const manifest = await checkAgainstRecord(record);
    await checkFileDigests(record.location ?? "", manifest);
    return manifest;
  } catch (error) {
    if (error instanceof BackupRefused) throw error;
    throw new BackupRefused(toError(error).message);
  }
}
