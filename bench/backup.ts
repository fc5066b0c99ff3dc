/**
 * `npm run bench -- backup [--level N] [--db-mb N] [--tree-mb N]`
 *
 * A database backup of a SQLite file of 500+ MB beside `sqlite3 SRC ".backup DST"` then
 * `gzip -N`, and a storage backup of a 1+ GB tree of mixed files beside `tar czf` at the same
 * gzip level, in one run: times, ratios, sizes and peak memory. Each Steward backup runs in a
 * child process of its own so its peak RSS is the backup's alone. The data is generated once
 * under bench/.work/backup (gitignored) and reused; outputs are removed after each run.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import { Alerter } from "../src/alerting/alerter.js";
import { loadConfig } from "../src/config/load.js";
import { systemClock } from "../src/core/clock.js";
import { createLogger } from "../src/core/logger.js";
import { projectRoot } from "../src/core/project.js";
import { migrate } from "../src/db/migrate.js";
import { openDatabase } from "../src/db/open.js";
import { readManifest } from "../src/services/backup/manifest.js";
import { BackupMetrics } from "../src/services/backup/metrics.js";
import { BackupRunner } from "../src/services/backup/runner.js";

const MB = 1 << 20;

interface Measured {
  seconds: number;
  writeSeconds: number;
  verifySeconds: number;
  bytes: number;
  peakRssMb: number;
  /** At the sampled peak: the JS heap, and buffers (most of them garbage awaiting collection). */
  heapAtPeakMb: number;
  buffersAtPeakMb: number;
  maxRssMb: number;
  status: string;
  error: string | null;
}

function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? Number(args[at + 1]) : fallback;
}

const words =
  "portrait video lifecycle notice steward backup queue email schedule project subscription expires renewal archive active rotation frame render upload customer invoice".split(
    " ",
  );

/** Text that compresses like logs or JSON do: real words in varying order, numbers, punctuation. */
function text(bytes: number): Buffer {
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const n = Math.floor(Math.random() * 1_000_000);
    const line = `{"id":${n},"event":"${words[n % words.length]}","by":"${words[(n >> 5) % words.length]}","at":${1_700_000_000 + n}}\n`;
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join("")).subarray(0, bytes);
}

/** A migrated Steward database with a bulk table of mixed rows, grown to `mb` megabytes. */
async function ensureDatabase(file: string, mb: number): Promise<void> {
  if (fs.existsSync(file) && fs.statSync(file).size >= mb * MB) return;
  fs.rmSync(file, { force: true });
  process.stdout.write(`generating a ${mb} MB SQLite database at ${file} ...\n`);
  const db = openDatabase({ dialect: "sqlite", file });
  await migrate(db);
  if (db.driver.dialect !== "sqlite") throw new Error("unreachable");
  const raw = db.driver.db;
  raw.exec("create table bench_events (id integer primary key, kind text, body text, payload blob, at integer)");
  raw.exec("create index bench_events_kind on bench_events (kind, at)");
  const insert = raw.prepare("insert into bench_events (kind, body, payload, at) values (?, ?, ?, ?)");
  const batch = raw.transaction((rows: number) => {
    for (let i = 0; i < rows; i += 1) {
      const n = Math.floor(Math.random() * 1e9);
      insert.run(words[n % words.length], text(200 + (n % 400)).toString(), randomBytes(64 + (n % 192)), n);
    }
  });
  while (fs.statSync(file).size < mb * MB) batch(20_000);
  raw.pragma("wal_checkpoint(TRUNCATE)");
  await db.close();
}

/** A tree of `mb` megabytes: media-like random files, text-like files, and many small ones. */
function ensureTree(dir: string, mb: number): void {
  const done = path.join(dir, ".complete");
  if (fs.existsSync(done) && Number(fs.readFileSync(done, "utf8")) >= mb) return;
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`generating a ${mb} MB tree of mixed files at ${dir} ...\n`);
  let total = 0;
  let n = 0;
  while (total < mb * MB) {
    const sub = path.join(dir, `album-${Math.floor(n / 200)}`, `set-${Math.floor(n / 20) % 10}`);
    fs.mkdirSync(sub, { recursive: true });
    const pick = n % 10;
    let size: number;
    let name: string;
    let content: Buffer;
    if (pick < 2) {
      size = 2 * MB + Math.floor(Math.random() * 10 * MB);
      name = `clip-${n}.mp4`;
      content = randomBytes(size);
    } else if (pick < 5) {
      size = 100_000 + Math.floor(Math.random() * 2 * MB);
      name = `photo-${n}.jpg`;
      content = randomBytes(size);
    } else if (pick < 8) {
      size = 50_000 + Math.floor(Math.random() * 3 * MB);
      name = `log-${n}.json`;
      content = text(size);
    } else {
      size = 1_000 + Math.floor(Math.random() * 40_000);
      name = `note-${n}.txt`;
      content = text(size);
    }
    fs.writeFileSync(path.join(sub, name), content);
    total += content.length;
    n += 1;
  }
  fs.writeFileSync(done, String(mb));
}

function timed(command: string, args: string[], env?: Record<string, string>): number {
  const started = performance.now();
  const result = spawnSync(command, args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status})`);
  return (performance.now() - started) / 1000;
}

/** One Steward backup in this (child) process: RSS sampled every 50 ms, and the process maxRSS. */
async function measureChild(kind: "database" | "storage", work: string, level: number): Promise<void> {
  const out = path.join(work, "out", "steward");
  const env = {
    DATABASE_URL: path.join(work, "source.db"),
    DATA_DIR: path.join(work, "data"),
    STORAGE_DIR: path.join(work, "tree"),
    BACKUP_DIR: out,
    BACKUP_COMPRESSION_LEVEL: String(level),
    EMAIL_TEMPLATES_DIR: work,
  };
  const { config } = loadConfig(env, { cwd: work, isTTY: false, hostname: os.hostname(), pid: process.pid });
  const db = openDatabase(config.database.target);
  const logger = createLogger({ level: "warn", format: "json", secrets: [], fd: 2 });
  const runner = new BackupRunner({
    config,
    db,
    clock: systemClock,
    logger,
    alerter: new Alerter({ clock: systemClock, logger, cooldownMs: 0, instance: "bench" }),
    metrics: new BackupMetrics(new Registry()),
    owner: `bench/${os.hostname()}/${process.pid}`,
    hostname: os.hostname(),
    pid: process.pid,
  });
  let peak = process.memoryUsage();
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    if (now.rss > peak.rss) peak = now;
  }, 50);
  const started = performance.now();
  const record = await runner.run(kind, { trigger: "manual" });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  let writeSeconds = seconds;
  if (record.location && record.status === "succeeded") {
    const manifest = await readManifest(record.location);
    writeSeconds = (Date.parse(manifest.finishedAt) - Date.parse(manifest.startedAt)) / 1000;
  }
  await db.close();
  const measured: Measured = {
    seconds,
    writeSeconds,
    verifySeconds: seconds - writeSeconds,
    bytes: record.bytes ?? 0,
    peakRssMb: peak.rss / MB,
    heapAtPeakMb: peak.heapUsed / MB,
    buffersAtPeakMb: peak.arrayBuffers / MB,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    status: record.status,
    error: record.error,
  };
  process.stdout.write(`${JSON.stringify(measured)}\n`);
}

function measure(kind: "database" | "storage", work: string, level: number): Promise<Measured> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [self, "--child", kind, work, String(level)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`the measuring process exited with ${code}`));
      const measured = JSON.parse(stdout.trim().split("\n").at(-1) as string) as Measured;
      if (measured.status !== "succeeded") return reject(new Error(`the backup failed: ${measured.error}`));
      resolve(measured);
    });
  });
}

const f1 = (n: number) => n.toFixed(1);
const size = (bytes: number) => `${f1(bytes / MB)} MB`;

function report(title: string, tool: { label: string; seconds: number; bytes: number }, ours: Measured): void {
  process.stdout.write(`\n${title}\n`);
  process.stdout.write(`  ${tool.label.padEnd(44)} ${f1(tool.seconds).padStart(7)} s   ${size(tool.bytes)}\n`);
  process.stdout.write(
    `  ${"steward: write (snapshot/archive, gzip, fsync)".padEnd(44)} ${f1(ours.writeSeconds).padStart(7)} s   ${size(ours.bytes)}   ratio ${(ours.writeSeconds / tool.seconds).toFixed(2)}x\n`,
  );
  process.stdout.write(
    `  ${"steward: verification (read back, check)".padEnd(44)} ${f1(ours.verifySeconds).padStart(7)} s\n`,
  );
  process.stdout.write(
    `  ${"steward: whole backup, write + verify".padEnd(44)} ${f1(ours.seconds).padStart(7)} s   ratio ${(ours.seconds / tool.seconds).toFixed(2)}x\n`,
  );
  process.stdout.write(
    `  peak memory: RSS sampled every 50 ms ${f1(ours.peakRssMb)} MB (JS heap ${f1(ours.heapAtPeakMb)} MB, buffers ${f1(ours.buffersAtPeakMb)} MB); process maxRSS ${f1(ours.maxRssMb)} MB (aim: under 150 MB)\n`,
  );
}

export async function run(args: string[]): Promise<void> {
  const level = option(args, "--level", 6);
  const dbMb = option(args, "--db-mb", 520);
  const treeMb = option(args, "--tree-mb", 1050);
  const work = path.join(projectRoot(), "bench", ".work", "backup");
  fs.mkdirSync(work, { recursive: true });
  await ensureDatabase(path.join(work, "source.db"), dbMb);
  ensureTree(path.join(work, "tree"), treeMb);
  const out = path.join(work, "out");
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const source = path.join(work, "source.db");
  process.stdout.write(
    `\nbackup benchmark: gzip level ${level}; database ${size(fs.statSync(source).size)}; tree ${treeMb} MB; ${os.cpus().length} cores\n`,
  );
  try {
    const copy = path.join(out, "tool.db");
    const toolDb = timed("sqlite3", [source, `.backup ${copy}`]) + timed("gzip", [`-${level}`, copy]);
    const toolDbBytes = fs.statSync(`${copy}.gz`).size;
    fs.rmSync(`${copy}.gz`);
    const ours = await measure("database", work, level);
    report("database backup", { label: `sqlite3 .backup + gzip -${level}`, seconds: toolDb, bytes: toolDbBytes }, ours);
    fs.rmSync(path.join(out, "steward"), { recursive: true, force: true });

    const tarball = path.join(out, "tool.tar.gz");
    const toolTar = timed("tar", ["-I", `gzip -${level}`, "-cf", tarball, "-C", path.join(work, "tree"), "."]);
    const toolTarBytes = fs.statSync(tarball).size;
    fs.rmSync(tarball);
    const oursTree = await measure("storage", work, level);
    report("storage backup", { label: `tar -I 'gzip -${level}' -cf`, seconds: toolTar, bytes: toolTarBytes }, oursTree);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  const [, , , kind, work, level] = process.argv;
  await measureChild(kind as "database" | "storage", work as string, Number(level));
  process.exit(0);
}
