/**
 * `npm run bench -- dashboard-lists [portraits]`: the first answer of each list the dashboard's
 * lifecycle, video and backup pages ask for, against a real app on a SQLite file holding
 * 100,000 portraits (default) with three videos each, as bench/schedulers.ts builds them. Each
 * route is asked 5 times after one warm-up; the median and the slowest are printed, with the
 * page size and whether a second page follows.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config/load.js";
import { createLogger } from "../src/core/logger.js";
import { createMetrics } from "../src/core/metrics.js";
import { migrate } from "../src/db/migrate.js";
import { openDatabase } from "../src/db/open.js";
import { serviceDefinitions } from "../src/services/registry.js";
import { insertPortraits, insertVideos } from "./_schedulers-data.js";

const ROUTES = [
  "/portraits?limit=10",
  "/portraits?endingWithinDays=30&limit=10",
  "/portraits?endingWithinDays=30&owner=owner12&limit=10",
  "/projects?limit=10",
  "/lifecycle/plan?days=30",
  "/lifecycle/notices?limit=15",
  "/video/portraits?limit=10",
  "/video/history?limit=15",
  "/backups?limit=10",
  "/alerts?limit=10",
  "/cluster",
  "/status",
];

export async function run(args: string[]): Promise<void> {
  const count = Number(args[0] ?? 100_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-"));
  const file = path.join(dir, "steward.db");
  const now = new Date();
  const db = openDatabase({ dialect: "sqlite", file });
  await migrate(db);
  const started = Date.now();
  await insertPortraits(db, count, now);
  await insertVideos(db, count, now);
  await db.close();
  process.stdout.write(`${count} portraits, ${3 * count} videos inserted in ${Date.now() - started} ms\n`);

  // The schedulers stay off: the figures are the routes' alone, not a pass running beside them.
  const env = {
    DATABASE_URL: file,
    STATUS_PORT: "0",
    LIFECYCLE_SCHEDULER_ENABLED: "false",
    VIDEO_SCHEDULER_ENABLED: "false",
    EMAIL_QUEUE_ENABLED: "false",
    BACKUP_DATABASE_ENABLED: "false",
    BACKUP_FULL_ENABLED: "false",
    BACKUP_ROTATION_ENABLED: "false",
    LOG_LEVEL: "warn",
  };
  const { config } = loadConfig(env, { cwd: dir, isTTY: false, hostname: os.hostname(), pid: process.pid });
  const logger = createLogger({ level: "warn", format: "json", secrets: config.secrets });
  const app = createApp({
    config,
    logger,
    definitions: serviceDefinitions,
    hostname: os.hostname(),
    pid: process.pid,
    metrics: createMetrics({ processMetrics: false }),
  });
  await app.start();
  try {
    process.stdout.write(`${"route".padEnd(58)} ${"median ms".padStart(10)} ${"max ms".padStart(8)}  items  more\n`);
    for (const route of ROUTES) {
      const url = `http://127.0.0.1:${app.port}${route}`;
      await fetch(url).then((r) => r.arrayBuffer());
      const times: number[] = [];
      let body: { items?: unknown[]; notices?: unknown[]; nextCursor?: string | null } = {};
      for (let i = 0; i < 5; i += 1) {
        const t0 = performance.now();
        const response = await fetch(url);
        body = (await response.json()) as typeof body;
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const items = (body.items ?? body.notices ?? []).length;
      const more = body.nextCursor === undefined ? "-" : body.nextCursor === null ? "no" : "yes";
      process.stdout.write(
        `${route.padEnd(58)} ${(times[2] ?? 0).toFixed(1).padStart(10)} ${(times[4] ?? 0).toFixed(1).padStart(8)}  ${String(items).padStart(5)}  ${more}\n`,
      );
    }
  } finally {
    await app.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
