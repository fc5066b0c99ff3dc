/**
 * `npm run bench -- schedulers [--portraits N] [--video-portraits N] [--sqlite-only] [--phase sqlite:video]`
 *
 * A lifecycle pass over N portraits (default 1,000,000; 1% due for a notice) beside the
 * ceiling the issue names, one plain UPDATE classifying every row, with the ratio and the
 * process's peak memory; then video passes over M portraits (default 100,000) with three
 * videos each. SQLite always; PostgreSQL too when BENCH_DATABASE_URL or TEST_DATABASE_URL is set.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import type { Clock } from "../src/core/clock.js";
import { createLogger } from "../src/core/logger.js";
import { migrate } from "../src/db/migrate.js";
import { type Database, openDatabase } from "../src/db/open.js";
import type { Row } from "../src/db/sql.js";
import { toNumber } from "../src/db/sql.js";
import { enqueueEmail } from "../src/services/email/enqueue/enqueue.js";
import { LifecyclePass } from "../src/services/lifecycle/pass.js";
import { VideoPass } from "../src/services/video/pass.js";
import { classifyAllInOneUpdate, insertPortraits, insertVideos, restoreHourAgoStatuses } from "./_schedulers-data.js";

const H = 3_600_000;
const NOW = new Date("2026-06-01T12:00:00.000Z");
const logger = createLogger({ level: "warn", format: "json", secrets: [], fd: 2 });

const fixedClock = (at: Date): Clock => ({ now: () => at, sleep: async () => {} });
const peakMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

function option(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  const value = index >= 0 ? Number(args[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

async function lifecycleBench(db: Database, portraits: number): Promise<void> {
  const setup = await timed(() => insertPortraits(db, portraits, NOW));
  await db.sql.get("select count(*) from portraits"); // warm the cache for both contenders alike
  console.log(
    `  ${portraits.toLocaleString("en")} portraits generated in ${seconds(setup.ms)}; peak RSS so far ${peakMb()} MB`,
  );

  const ceiling = await timed(() => classifyAllInOneUpdate(db, NOW));
  await restoreHourAgoStatuses(db, NOW);
  const pass = new LifecyclePass({
    sql: db.sql,
    clock: fixedClock(NOW),
    logger,
    config: { enabled: true, intervalMs: H, notificationsEnabled: true, expiredNoticeDays: 30 },
    enqueue: enqueueEmail,
  });
  const first = await timed(() => pass.run(new AbortController().signal));
  const quiet = await timed(() => pass.run(new AbortController().signal));
  const s = first.value;
  const changed = Object.values(s.statusChanges.portrait).reduce((a, b) => a + b, 0);
  const sent = Object.values(s.notices).reduce((a, b) => a + b, 0);
  const jobs = toNumber((await db.sql.get<Row>("select count(*) as n from email_jobs"))?.n);
  console.log(
    `  ceiling: one UPDATE classifying all ${ceiling.value.toLocaleString("en")} rows   ${seconds(ceiling.ms)}`,
  );
  console.log(
    `  lifecycle pass: ${changed.toLocaleString("en")} status changes, ${sent.toLocaleString("en")} notices ` +
      `(7day ${s.notices["7day"]}, 24hour ${s.notices["24hour"]}, expired ${s.notices.expired}), ` +
      `${jobs.toLocaleString("en")} email jobs   ${seconds(first.ms)}`,
  );
  console.log(`  ratio pass / ceiling: ${(first.ms / ceiling.ms).toFixed(2)}x (aim: within 3x)`);
  console.log(`  second pass, nothing due: ${seconds(quiet.ms)} (${(quiet.ms / ceiling.ms).toFixed(2)}x the ceiling)`);
  console.log(`  peak RSS of the process: ${peakMb()} MB (aim: under 200 MB)`);
}

async function videoBench(db: Database, portraits: number): Promise<void> {
  const setup = await timed(() => insertVideos(db, portraits, NOW));
  console.log(
    `  ${(3 * portraits).toLocaleString("en")} videos on ${portraits.toLocaleString("en")} portraits in ${seconds(setup.ms)}`,
  );
  const passAt = (at: Date) =>
    new VideoPass({
      sql: db.sql,
      clock: fixedClock(at),
      logger,
      config: {
        enabled: true,
        intervalMs: 300_000,
        rotationIntervalMs: H,
        archiveAfterMs: 168 * H,
        notificationsEnabled: true,
        rotationNotices: false, // the default: a rotation alone mails no one
      },
      enqueue: enqueueEmail,
      random: Math.random,
      actor: "bench",
    }).run(new AbortController().signal);
  const runs: Array<[string, Date]> = [
    ["first pass (every portrait shows a video)", NOW],
    ["steady pass five minutes later (nothing due)", new Date(NOW.getTime() + 5 * 60_000)],
    ["rotation pass an hour later (three quarters rotate)", new Date(NOW.getTime() + H)],
  ];
  for (const [label, at] of runs) {
    const r = await timed(() => passAt(at));
    const c = r.value.changes;
    console.log(
      `  ${label}: ${seconds(r.ms)}; activations ${c.schedule_activation}, rotations ${c.rotation}, ` +
        `notices ${r.value.notices}`,
    );
  }
  console.log(`  peak RSS of the process: ${peakMb()} MB`);
}

type Phase = "lifecycle" | "video";

/** Runs one phase on a fresh SQLite file or PostgreSQL schema, so each starts from empty tables. */
async function onDatabase(dialect: "sqlite" | "pg", phase: Phase, sizes: { portraits: number; video: number }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-"));
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "";
  const schema = `bench_${process.pid}`;
  let admin: pg.Client | undefined;
  let db: Database;
  if (dialect === "sqlite") {
    db = openDatabase({ dialect: "sqlite", file: path.join(dir, "bench.db") });
  } else {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    const scoped = new URL(url);
    scoped.searchParams.set("options", `-c search_path=${schema}`);
    db = openDatabase({ dialect: "pg", url: scoped.toString() }, { poolSize: 4 });
  }
  try {
    await migrate(db);
    console.log(`${dialect === "sqlite" ? "SQLite" : `PostgreSQL (${db.description})`}, ${phase} (a fresh process)`);
    if (phase === "lifecycle") await lifecycleBench(db, sizes.portraits);
    else {
      await insertPortraits(db, sizes.video, NOW);
      await videoBench(db, sizes.video);
    }
  } finally {
    await db.close();
    if (admin) {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Each phase runs in a child process of its own, so that the peak memory printed belongs to
 * that phase alone and not to whatever ran before it.
 */
export async function run(args: string[]): Promise<void> {
  const sizes = {
    portraits: option(args, "--portraits", 1_000_000),
    video: option(args, "--video-portraits", 100_000),
  };
  const only = args.indexOf("--phase");
  if (only >= 0) {
    const [dialect, phase] = String(args[only + 1]).split(":") as ["sqlite" | "pg", Phase];
    await onDatabase(dialect, phase, sizes);
    return;
  }
  const withPg =
    Boolean(process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL) && !args.includes("--sqlite-only");
  const phases = ["sqlite:lifecycle", "sqlite:video", ...(withPg ? ["pg:lifecycle", "pg:video"] : [])];
  for (const phase of phases) {
    const child = spawnSync(process.execPath, [process.argv[1] ?? "", "schedulers", ...args, "--phase", phase], {
      stdio: "inherit",
    });
    if (child.status !== 0) throw new Error(`bench phase ${phase} failed (exit ${child.status})`);
  }
  if (!withPg) console.log("PostgreSQL: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL to include it)");
}
