import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { Digest, READ_CHUNK } from "./durable-file.js";
import { type DatabasePart, type PartContext, ZLIB_CHUNK } from "./part.js";
import { snapshotSqlite } from "./sqlite-worker-client.js";

export const SQLITE_BACKUP_NAME = "database.sqlite.gz";

/**
 * A consistent copy through SQLite's online backup API (other connections keep writing),
 * then gzip. The uncompressed copy lives in the backup's temporary directory only until it
 * is compressed.
 */
export async function backupSqlite(ctx: PartContext, source: string): Promise<DatabasePart> {
  const copy = path.join(ctx.dir, "snapshot.sqlite");
  // Created first so that the copy is never readable by others, even for a moment.
  await fs.promises.writeFile(copy, "", { mode: 0o600, flag: "wx" });
  const snapshot = await snapshotSqlite(source, copy, ctx.signal, (done, total) =>
    ctx.progress({ phase: "snapshot", done, total, unit: "pages" }),
  );
  const total = (await fs.promises.stat(copy)).size;
  const digest = new Digest();
  const input = fs.createReadStream(copy, { highWaterMark: READ_CHUNK });
  let done = 0;
  input.on("data", (chunk) => {
    done += chunk.length;
    ctx.progress({ phase: "compress", done, total, unit: "bytes" });
  });
  await pipeline(
    input,
    zlib.createGzip({ level: ctx.compressionLevel, chunkSize: ZLIB_CHUNK }),
    digest,
    ctx.io.createFile(path.join(ctx.dir, SQLITE_BACKUP_NAME)),
    { signal: ctx.signal },
  );
  await fs.promises.rm(copy, { force: true });
  return {
    file: { name: SQLITE_BACKUP_NAME, role: "database", size: digest.bytes, sha256: digest.sha256 },
    source: { dialect: "sqlite", location: source, tables: snapshot.tables },
  };
}
