import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type BackupIo, diskIo } from "../../src/services/backup/durable-file.js";
import { type BackupKind, MANIFEST_NAME } from "../../src/services/backup/manifest.js";
import { rotateBackups } from "../../src/services/backup/rotation.js";
import { type BackupFixture, backupFixture, capturedLogger, makeStorageTree } from "../helpers/backup-support.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";

/**
 * A disk that fills up after `room` bytes: the one failure here that cannot be provoked for
 * real without root tricks (no small tmpfs or loop mount on a test machine). It fails at the
 * write layer exactly as the kernel would, with ENOSPC, after part of the file is written.
 */
function fillingDisk(room: number) {
  const disk = { full: true, written: 0, failures: 0 };
  const io: BackupIo = {
    createFile(file) {
      const real = diskIo.createFile(file);
      if (!disk.full) return real;
      return new Writable({
        write(chunk: Buffer, _encoding, callback) {
          if (disk.written + chunk.length > room) {
            // Like the kernel: what fits is written, then the write fails.
            const fits = chunk.subarray(0, Math.max(0, room - disk.written));
            disk.written += fits.length;
            disk.failures += 1;
            const error = Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), {
              code: "ENOSPC",
            });
            real.write(fits, () => callback(error));
            return;
          }
          disk.written += chunk.length;
          real.write(chunk, callback);
        },
        final(callback) {
          real.end(callback);
        },
        destroy(error, callback) {
          real.destroy();
          callback(error);
        },
      });
    },
  };
  return { disk, io };
}

/**
 * A disk that silently changes one byte of every data file it is given (the manifest it leaves
 * alone): what a bad cable or controller does, and what only reading the backup back catches.
 */
function corruptingDisk() {
  const disk = { corrupt: true, flipped: [] as string[] };
  const io: BackupIo = {
    createFile(file) {
      const real = diskIo.createFile(file);
      if (!disk.corrupt || path.basename(file) === MANIFEST_NAME) return real;
      let first = true;
      return new Writable({
        write(chunk: Buffer, _encoding, callback) {
          if (first && chunk.length > 0) {
            first = false;
            const copy = Buffer.from(chunk);
            const at = Math.min(copy.length - 1, 100);
            copy[at] = (copy[at] ?? 0) ^ 0x01;
            disk.flipped.push(path.basename(file));
            real.write(copy, callback);
            return;
          }
          real.write(chunk, callback);
        },
        final(callback) {
          real.end(callback);
        },
        destroy(error, callback) {
          real.destroy();
          callback(error);
        },
      });
    },
  };
  return { disk, io };
}

describeEachDialect("backup failures", (_dialect, makeDb) => {
  let t: TestDb;
  let f: BackupFixture;
  beforeEach(async () => {
    t = await makeDb();
    await t.db.sql.run("create table notes (id integer primary key, body text not null)");
    await t.db.sql.tx(async (tx) => {
      for (let i = 1; i <= 300; i += 1)
        await tx.run("insert into notes (id, body) values (?, ?)", [i, `n${i} `.repeat(50)]);
    });
  });
  afterEach(async () => {
    await t.cleanup();
    fs.rmSync(f.root, { recursive: true, force: true });
  });

  for (const kind of ["database", "storage", "full"] as const satisfies readonly BackupKind[]) {
    it(`records a ${kind} backup failed when the disk fills mid-write, leaves nothing, and succeeds once space is back`, async () => {
      const { disk, io } = fillingDisk(4096);
      f = backupFixture(t, { io });
      makeStorageTree(f.storageDir);
      const failed = await f.runner.run(kind, { trigger: "manual" });
      expect(failed.status).toBe("failed");
      expect(failed.verified).toBe(false);
      expect(failed.error).toMatch(/no space left on the device/);
      expect(disk.written).toBeGreaterThan(0);
      expect(disk.failures).toBeGreaterThan(0);
      expect(fs.readdirSync(f.backupDir)).toEqual([]);
      expect(f.alerts.map((a) => a.key)).toEqual([`backup-failed:${kind}`]);
      expect(f.alerts[0]?.message).toMatch(/no space left/);
      expect(await f.registry.getSingleMetricAsString("steward_backup_failures_total")).toContain(`kind="${kind}"} 1`);

      disk.full = false;
      const next = await f.runner.run(kind, { trigger: "manual" });
      expect(next.status).toBe("succeeded");
      expect(next.verified).toBe(true);
      expect(fs.readdirSync(f.backupDir)).toEqual([path.basename(next.location as string)]);
      expect((await f.runner.store.get(failed.id))?.status).toBe("failed");
    });
  }

  for (const kind of ["database", "storage", "full"] as const satisfies readonly BackupKind[]) {
    it(`fails a ${kind} backup whose bytes were changed on the way to disk: never good, and rotation keeps the older one`, async () => {
      const { disk, io } = corruptingDisk();
      f = backupFixture(t, { io, env: { BACKUP_KEEP: "1" } });
      makeStorageTree(f.storageDir);
      disk.corrupt = false;
      const good = await f.runner.run(kind, { trigger: "schedule" });
      expect(good).toMatchObject({ status: "succeeded", verified: true });
      disk.corrupt = true;
      const bad = await f.runner.run(kind, { trigger: "schedule" });
      expect(disk.flipped.length).toBeGreaterThan(0);
      expect(bad).toMatchObject({ status: "failed", verified: false });
      expect(bad.error).toMatch(/sha256 differs from the manifest/);
      expect(f.alerts.map((a) => a.key)).toEqual([`backup-failed:${kind}`]);
      expect(fs.existsSync(bad.location as string)).toBe(false);
      expect((await f.runner.store.newestVerified(kind))?.id).toBe(good.id);

      const result = await rotateBackups(f.runner.store, f.config.backup.keep, capturedLogger().logger);
      expect(result.removed.map((r) => r.id)).toEqual([bad.id]);
      expect((await f.runner.store.list({ kind })).map((r) => r.id)).toEqual([good.id]);
      expect(fs.readdirSync(f.backupDir)).toEqual([path.basename(good.location as string)]);
    });
  }

  it("records a backup failed when BACKUP_DIR cannot be created, alerts, and succeeds once it can", async () => {
    // A regular file where a directory should be: ENOTDIR stops even root, which ignores modes.
    const blocker = path.join(t.url.startsWith("postgres") ? "/tmp" : path.dirname(t.url), `blocker-${process.pid}`);
    fs.writeFileSync(blocker, "not a directory");
    try {
      f = backupFixture(t, { env: { BACKUP_DIR: path.join(blocker, "backups") } });
      const failed = await f.runner.run("database", { trigger: "manual" });
      expect(failed.status).toBe("failed");
      expect(failed.error).toContain(`BACKUP_DIR ${path.join(blocker, "backups")} is not writable`);
      expect(failed.error).toMatch(/not a directory/);
      expect(f.alerts).toHaveLength(1);
      expect(f.alerts[0]).toMatchObject({ severity: "error", key: "backup-failed:database" });
      fs.rmSync(blocker);
      const next = await f.runner.run("database", { trigger: "manual" });
      expect(next.status).toBe("succeeded");
      expect(fs.readdirSync(path.join(blocker, "backups"))).toEqual([path.basename(next.location as string)]);
    } finally {
      fs.rmSync(blocker, { recursive: true, force: true });
    }
  });

  it("fails a backup whose verification finds the file differs from its manifest, and never counts it", async () => {
    f = backupFixture(t);
    const record = await f.runner.run("database", { trigger: "manual" });
    expect(record.status).toBe("succeeded");
    const data = path.join(record.location as string, record.files[0]?.name as string);
    const bytes = fs.readFileSync(data);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    fs.writeFileSync(data, bytes);
    const reason = await f.runner.verifyAgain(record);
    expect(reason).toMatch(/sha256 differs from the manifest/);
    const after = await f.runner.store.get(record.id);
    expect(after).toMatchObject({ status: "failed", verified: false });
    expect(after?.error).toContain("verification failed");
    expect(await f.runner.store.newestVerified("database")).toBeUndefined();
    expect(f.alerts.map((a) => a.key)).toEqual(["backup-verify-failed:database"]);
  });
});
