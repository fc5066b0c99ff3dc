/**
 * `npm run bench -- volume-subjects [--portraits N] [--reps N] [--sqlite-only]`
 *
 * The lifecycle and video schedulers' status refresh over N portraits (default 100,000), three
 * videos each and a notice per portrait: before, the count(*) queries it ran until counters
 * (issue 11, aim 8), and after, the counter reads it runs now (LifecycleStore.statusCounts and
 * noticeTotals, VideoStore.stateCounts), in the same run on the same data. Medians of --reps
 * (default 15) after one warm-up. SQLite always; PostgreSQL too when BENCH_DATABASE_URL or
 * TEST_DATABASE_URL is set.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { CounterStore } from "../src/db/coordination/counters.js";
import { migrate } from "../src/db/migrate.js";
import { type Database, openDatabase } from "../src/db/open.js";
import type { Sql } from "../src/db/sql.js";
import { LifecycleStore } from "../src/services/lifecycle/store.js";
import { VideoStore } from "../src/services/video/store.js";
import { insertPortraits, insertVideos } from "./_schedulers-data.js";

const NOW = new Date("2026-06-01T12:00:00.000Z");

/** The refresh as it was: a grouped count over each table, every pass. */
async function countedRefresh(sql: Sql): Promise<unknown> {
  return [
    await sql.all("select lifecycle_status as status, count(*) as n from projects group by lifecycle_status"),
    await sql.all("select lifecycle_status as status, count(*) as n from portraits group by lifecycle_status"),
    await sql.all("select kind, count(*) as n from lifecycle_notices group by kind"),
    await sql.all(
      `select state, count(*) as n from (
         select case when status = 'archived' then 'archived' when is_shown = ? then 'shown'
                     when status = 'active' and start_at > ? then 'scheduled' else 'hidden' end as state
         from videos) s
       group by state`,
      [true, NOW],
    ),
  ];
}

/** The refresh as it is: the schedulers' own reads, from the counters. */
async function counterRefresh(sql: Sql): Promise<unknown> {
  const lifecycle = new LifecycleStore(sql);
  return [
    await lifecycle.statusCounts("project"),
    await lifecycle.statusCounts("portrait"),
    await lifecycle.noticeTotals(),
    await new VideoStore(sql).stateCounts(),
  ];
}

async function median(reps: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i += 1) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

async function insertNotices(db: Database, count: number): Promise<void> {
  const pgSide = db.dialect === "pg";
  const series = pgSide
    ? "select n from generate_series(1, ?::int) as n"
    : "with recursive seq(n) as (select 1 union all select n + 1 from seq where n < ?) select n from seq";
  const id = pgSide ? "'p' || lpad(n::text, 7, '0')" : "'p' || substr('0000000' || n, -7)";
  const at = pgSide ? "now()" : String(NOW.getTime());
  await db.sql.run(
    `insert into lifecycle_notices (subject_type, subject_id, kind, subscription_end, recipient, created_at)
     select 'portrait', ${id}, case n % 3 when 0 then '7day' when 1 then '24hour' else 'expired' end, ${at},
       'owner@example.com', ${at}
     from (${series}) s`,
    [count],
  );
}

async function fill(db: Database, portraits: number): Promise<number> {
  const started = performance.now();
  await insertPortraits(db, portraits, NOW);
  await insertVideos(db, portraits, NOW);
  await insertNotices(db, portraits);
  return performance.now() - started;
}

/** The same database without the counting triggers: what the fill costs without them. */
async function dropCountingTriggers(db: Database): Promise<void> {
  if (db.dialect === "pg") {
    for (const table of ["projects", "portraits", "lifecycle_notices", "videos"]) {
      await db.sql.run(`drop function steward_count_${table}() cascade`);
    }
    return;
  }
  const triggers = await db.sql.all<{ name: string }>(
    "select name from sqlite_master where type = 'trigger' and name like '%_count_%'",
  );
  for (const { name } of triggers) await db.sql.run(`drop trigger "${name}"`);
}

async function bench(open: () => Promise<Session>, label: string, portraits: number, reps: number): Promise<void> {
  const bare = await open();
  let fillBare: number;
  try {
    await dropCountingTriggers(bare.db);
    fillBare = await fill(bare.db, portraits);
  } finally {
    await bare.close();
  }
  const { db, close } = await open();
  try {
    const filled = await fill(db, portraits);
    // Every row went in through the triggers: the counters must agree with a count.
    const counters = new CounterStore(db.sql);
    await counters.fold();
    const kept = await counters.read("video.");
    const videos = Object.values(kept).reduce((a, b) => a + b, 0);
    if (videos !== 3 * portraits) throw new Error(`video counters say ${videos}, expected ${3 * portraits}`);
    if (db.dialect === "pg") await db.sql.run("analyze");
    const before = await median(reps, () => countedRefresh(db.sql));
    const after = await median(reps, () => counterRefresh(db.sql));
    // The floor under any four statements: four round trips that read nothing.
    const floor = await median(reps, async () => {
      for (let i = 0; i < 4; i += 1) await db.sql.get("select 1 as one");
    });
    const n = (x: number) => x.toLocaleString("en");
    console.log(`${label}: ${n(portraits)} portraits, ${n(3 * portraits)} videos, ${n(portraits)} notices`);
    console.log(
      `  fill: ${(filled / 1000).toFixed(1)} s through the counting triggers, ${(fillBare / 1000).toFixed(1)} s without`,
    );
    console.log(`  status refresh, count(*) queries (before): ${before.toFixed(2)} ms`);
    console.log(
      `  status refresh, counter reads (after):     ${after.toFixed(2)} ms  (${(before / after).toFixed(0)}x)`,
    );
    console.log(`  four 'select 1' round trips, for scale:    ${floor.toFixed(2)} ms`);
  } finally {
    await close();
  }
}

interface Session {
  db: Database;
  close(): Promise<void>;
}

async function sqliteSession(): Promise<Session> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-"));
  const db = openDatabase({ dialect: "sqlite", file: path.join(dir, "bench.db") });
  await migrate(db);
  return {
    db,
    async close() {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function pgSession(url: string): Promise<Session> {
  const schema = `bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const scoped = new URL(url);
  scoped.searchParams.set("options", `-c search_path=${schema}`);
  const db = openDatabase({ dialect: "pg", url: scoped.toString() }, { poolSize: 4 });
  await migrate(db);
  return {
    db,
    async close() {
      await db.close();
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    },
  };
}

function option(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  const value = index >= 0 ? Number(args[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

export async function run(args: string[]): Promise<void> {
  const portraits = option(args, "--portraits", 100_000);
  const reps = option(args, "--reps", 15);
  await bench(sqliteSession, "SQLite", portraits, reps);
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!url || args.includes("--sqlite-only")) {
    console.log("PostgreSQL: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL to include it)");
    return;
  }
  await bench(() => pgSession(url), "PostgreSQL", portraits, reps);
}
