import { createHash, type Hash } from "node:crypto";
import fs from "node:fs";
import { Transform, type TransformCallback, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Read chunk for files being backed up or checked: large enough to keep the disk streaming,
 * small enough that the buffers awaiting garbage collection stay a few megabytes.
 */
export const READ_CHUNK = 256 * 1024;

/**
 * Where backup bytes are written. Injected so a test can make the disk fill up half-way
 * (ENOSPC), a failure no test machine can provoke on demand without root tricks.
 */
export interface BackupIo {
  /** A new file (it must not exist), mode 0600; `finish` fires only after fsync. */
  createFile(file: string): Writable;
}

/** Writes through a file handle and fsyncs before it reports finished. */
class DurableFile extends Writable {
  private handle: fs.promises.FileHandle | undefined;

  constructor(private readonly file: string) {
    super({ highWaterMark: READ_CHUNK });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    fs.promises.open(this.file, "wx", 0o600).then((handle) => {
      this.handle = handle;
      callback();
    }, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => callback(), callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.writeAll(chunks.map((c) => c.chunk)).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const handle = this.handle as fs.promises.FileHandle;
    handle.sync().then(
      () => callback(),
      (error: Error) => callback(error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    if (!handle) {
      callback(error);
      return;
    }
    handle.close().then(
      () => callback(error),
      (closeError: Error) => callback(error ?? closeError),
    );
  }

  private async writeAll(buffers: Buffer[]): Promise<void> {
    const handle = this.handle as fs.promises.FileHandle;
    let pending = buffers;
    while (pending.length > 0) {
      const { bytesWritten } = await handle.writev(pending);
      pending = skipWritten(pending, bytesWritten);
    }
  }
}

/** What a short write left unwritten. */
function skipWritten(buffers: Buffer[], written: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = written;
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    out.push(skip > 0 ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return out;
}

export const diskIo: BackupIo = {
  createFile: (file) => new DurableFile(file),
};

/** Makes a rename or a new file in `dir` survive a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Passes bytes through while counting them and computing their sha256. */
export class Digest extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash("sha256");
  private result: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  get sha256(): string {
    this.result ??= this.hash.digest("hex");
    return this.result;
  }
}

/** A Writable that only hashes: for reading a file back without keeping it. */
export class DigestSink extends Writable {
  bytes = 0;
  private readonly hash: Hash = createHash("sha256");
  private result: string | undefined;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    callback();
  }

  get sha256(): string {
    this.result ??= this.hash.digest("hex");
    return this.result;
  }
}

/** sha256 and size of a file on disk. */
export async function fileDigest(file: string): Promise<{ size: number; sha256: string }> {
  const sink = new DigestSink();
  await pipeline(fs.createReadStream(file, { highWaterMark: READ_CHUNK }), sink);
  return { size: sink.bytes, sha256: sink.sha256 };
}

/** A readable reason for a failed write: the disk, the directory, or the file. */
export function describeIoError(error: unknown, where: string): string {
  const err = error as NodeJS.ErrnoException;
  switch (err?.code) {
    case "ENOSPC":
      return `no space left on the device while writing ${where}`;
    case "EDQUOT":
      return `disk quota exceeded while writing ${where}`;
    case "EACCES":
    case "EPERM":
      return `permission denied writing ${where}`;
    case "EROFS":
      return `${where} is on a read-only file system`;
    case "ENOTDIR":
      return `${where} is not a directory (a path component is a file)`;
    default:
      return `${err?.message ?? String(error)} (writing ${where})`;
  }
}
