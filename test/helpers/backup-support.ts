import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Registry } from "prom-client";
import { type Alert, type AlertChannel, Alerter } from "../../src/alerting/alerter.js";
import { type Config, loadConfig } from "../../src/config/load.js";
import { type Clock, systemClock } from "../../src/core/clock.js";
import { createLogger, type Logger } from "../../src/core/logger.js";
import type { Database } from "../../src/db/open.js";
import type { BackupIo } from "../../src/services/backup/durable-file.js";
import { BackupMetrics } from "../../src/services/backup/metrics.js";
import { BackupRunner } from "../../src/services/backup/runner.js";
import { type TestDb, tempDir } from "./db.js";

export type LogRecord = Record<string, unknown> & { msg?: string; level?: number };

/** A JSON logger whose lines the test can read. */
export function capturedLogger(level = "debug"): { logger: Logger; lines: LogRecord[] } {
  const lines: LogRecord[] = [];
  const logger = createLogger({
    level,
    format: "json",
    secrets: [],
    stream: { write: (line: string) => lines.push(JSON.parse(line) as LogRecord) },
  });
  return { logger, lines };
}

/** An alert channel that keeps what it was sent. */
export function collectingChannel(): AlertChannel & { alerts: Alert[] } {
  const alerts: Alert[] = [];
  return {
    name: "test",
    alerts,
    async send(alert) {
      alerts.push(alert);
    },
  };
}

export interface TreeEntry {
  type: "file" | "directory" | "symlink";
  mode?: number;
  size?: number;
  sha256?: string;
  target?: string;
}

/** Every entry under `root` (not following links) with content hashes: two equal maps are identical trees. */
export function describeTree(root: string): Record<string, TreeEntry> {
  const out: Record<string, TreeEntry> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      const stat = fs.lstatSync(full);
      if (stat.isSymbolicLink()) out[key] = { type: "symlink", target: fs.readlinkSync(full) };
      else if (stat.isDirectory()) {
        out[key] = { type: "directory", mode: stat.mode & 0o777 };
        walk(full, key);
      } else {
        const sha256 = createHash("sha256").update(fs.readFileSync(full)).digest("hex");
        out[key] = { type: "file", mode: stat.mode & 0o777, size: stat.size, sha256 };
      }
    }
  };
  walk(root, "");
  return out;
}

/** A small tree with the shapes a storage backup must keep: nesting, empty folders, links in and out. */
export function makeStorageTree(root: string): void {
  fs.mkdirSync(path.join(root, "portraits/2026/01"), { recursive: true });
  fs.mkdirSync(path.join(root, "empty-folder"), { recursive: true });
  fs.mkdirSync(path.join(root, "videos"), { recursive: true });
  fs.writeFileSync(path.join(root, "portraits/2026/01/a.jpg"), Buffer.alloc(300_000, 7));
  fs.writeFileSync(path.join(root, "portraits/2026/01/b.txt"), "hello ".repeat(10_000));
  let seed = 12345;
  const random = Buffer.alloc(700_000);
  for (let i = 0; i < random.length; i += 1) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    random[i] = seed >> 16;
  }
  fs.writeFileSync(path.join(root, "videos/clip.mp4"), random);
  fs.writeFileSync(path.join(root, "videos/empty.bin"), "");
  fs.writeFileSync(path.join(root, "name with spaces ünïcode.txt"), "x");
  fs.writeFileSync(path.join(root, `${"long-name-".repeat(12)}.txt`), "long");
  // Names archiver would rewrite for Windows: a leading `word:` and a backslash.
  fs.writeFileSync(path.join(root, "2026:01:05.log"), "colon");
  fs.writeFileSync(path.join(root, "videos", "back\\slash.txt"), "backslash");
  fs.chmodSync(path.join(root, "portraits/2026/01/b.txt"), 0o640);
  fs.symlinkSync("portraits/2026/01/a.jpg", path.join(root, "link-inside"));
  fs.symlinkSync("/etc/hostname", path.join(root, "link-outside"));
  fs.symlinkSync("../../outside-the-tree", path.join(root, "videos/link-up"));
}

export interface BackupFixture {
  config: Config;
  runner: BackupRunner;
  alerts: Alert[];
  lines: LogRecord[];
  registry: Registry;
  root: string;
  storageDir: string;
  backupDir: string;
}

/** A backup runner on a test database, with its own BACKUP_DIR and STORAGE_DIR under a temp folder. */
export function backupFixture(
  t: TestDb,
  options: { env?: Record<string, string>; io?: BackupIo; clock?: Clock; owner?: string } = {},
): BackupFixture {
  const root = tempDir("steward-backup-");
  const storageDir = path.join(root, "storage");
  const backupDir = path.join(root, "backups");
  fs.mkdirSync(storageDir, { recursive: true });
  const env = {
    DATABASE_URL: t.url,
    DATA_DIR: path.join(root, "data"),
    BACKUP_DIR: backupDir,
    STORAGE_DIR: storageDir,
    ...options.env,
  };
  const { config } = loadConfig(env, { cwd: root, isTTY: false, hostname: "test", pid: 1 });
  const { logger, lines } = capturedLogger();
  const channel = collectingChannel();
  const clock = options.clock ?? systemClock;
  const alerter = new Alerter({ clock, logger, cooldownMs: 0, instance: "test", channels: [channel] });
  const registry = new Registry();
  const runner = new BackupRunner({
    config,
    db: t.db,
    clock,
    logger,
    alerter,
    metrics: new BackupMetrics(registry),
    owner: options.owner ?? `test/${os.hostname()}/${process.pid}`,
    hostname: os.hostname(),
    pid: process.pid,
    io: options.io,
  });
  return { config, runner, alerts: channel.alerts, lines, registry, root, storageDir, backupDir };
}

/** Rows per table of a SQLite file or a PostgreSQL schema, for comparing a restore with its source. */
export async function rowCounts(db: Database): Promise<Record<string, number>> {
  const tables =
    db.dialect === "sqlite"
      ? await db.sql.all<{ name: string }>(
          "select name from sqlite_schema where type = 'table' and name not like 'sqlite_%' order by name",
        )
      : await db.sql.all<{ name: string }>(
          "select tablename as name from pg_tables where schemaname = current_schema() order by tablename",
        );
  const out: Record<string, number> = {};
  for (const { name } of tables) {
    const row = await db.sql.get<{ n: unknown }>(`select count(*) as n from "${name}"`);
    out[name] = Number(row?.n);
  }
  return out;
}
