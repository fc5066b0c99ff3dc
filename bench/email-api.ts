/**
 * `npm run bench -- email-api [--jobs N] [--pg URL]`: what the email admin API's reads cost with a
 * large queue (default 1,000,000 jobs: 90% sent, 5% failed, 4% pending, 1% cancelled, every
 * hundredth in one of 100 batches), on SQLite and, with --pg or TEST_DATABASE_URL, PostgreSQL.
 * Each read is the action the route calls (QueueActions), timed as the median of 5 runs: the
 * list's first page, a status with few rows and one with none, pending and sent (each in its own
 * order), a recipient, 200 pages by cursor (of every job, of pending, of sent), a batch's
 * progress, and the stats (whose counts are the query the counters replace).
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { loadConfig } from "../src/config/load.js";
import { systemClock } from "../src/core/clock.js";
import { SettingsStore } from "../src/db/coordination/settings.js";
import { migrate } from "../src/db/migrate.js";
import { type Database, openDatabase } from "../src/db/open.js";
import { parsePage } from "../src/services/email/actions/inputs.js";
import { QueueActions } from "../src/services/email/index.js";
import { createEmailStore } from "../src/services/email/store/create.js";
import type { JobFilter, ListPosition } from "../src/services/email/store/queries.js";

const RUNS = 5;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The rows, written by the database itself: a million INSERTs through the driver would take minutes. */
async function fill(db: Database, jobs: number): Promise<void> {
  const start = Date.now() - jobs * 1000;
  // Ids in insertion order, given by the database; statuses by i % 100; times a second apart.
  const status = (i: string) =>
    `case when ${i} % 100 < 90 then 'sent' when ${i} % 100 < 95 then 'failed' when ${i} % 100 < 99 then 'pending' else 'cancelled' end`;
  if (db.sql.dialect === "sqlite") {
    await db.sql.run(
      `with recursive n(i) as (select 0 union all select i + 1 from n where i < ?)
       insert into email_jobs (to_addrs, subject, text_body, status, attempts, run_at, batch_id, created_at, updated_at, sent_at)
       select json_array('reader' || (i % 5000) || '@example.com'),
              'Message ' || i, 'Hello', ${status("i")}, 1, ? + i * 1000,
              case when i % 100 = 7 then 'batch-' || (i / 100 % 100) end, ? + i * 1000, ? + i * 1000,
              case when i % 100 < 90 then ? + i * 1000 end
       from n`,
      [jobs - 1, start, start, start, start],
    );
    // As the PRAGMA optimize a running Steward makes would: the plans read with statistics.
    await db.sql.run("analyze");
  } else {
    await db.sql.run(
      `insert into email_jobs (to_addrs, subject, text_body, status, attempts, run_at, batch_id, created_at, updated_at, sent_at)
       select jsonb_build_array('reader' || (i % 5000) || '@example.com'), 'Message ' || i, 'Hello', ${status("i")}, 1,
              to_timestamp((?::bigint + i * 1000) / 1000.0),
              case when i % 100 = 7 then 'batch-' || (i / 100 % 100) end,
              to_timestamp((?::bigint + i * 1000) / 1000.0), to_timestamp((?::bigint + i * 1000) / 1000.0),
              case when i % 100 < 90 then to_timestamp((?::bigint + i * 1000) / 1000.0) end
       from generate_series(0, ? - 1) as i`,
      [start, start, start, start, jobs],
    );
    await db.sql.run("analyze email_jobs");
  }
}

async function median(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)] as number;
}

async function measure(label: string, db: Database, jobs: number, cwd: string): Promise<void> {
  await migrate(db);
  const t0 = performance.now();
  await fill(db, jobs);
  const fillMs = performance.now() - t0;
  const { config } = loadConfig({ DATA_DIR: cwd }, { cwd, isTTY: false, hostname: os.hostname(), pid: process.pid });
  const actions = new QueueActions({
    sql: db.sql,
    store: createEmailStore(db),
    settings: new SettingsStore(db.sql),
    clock: systemClock,
    email: config.email,
  });
  const page = { limit: 50, after: null };
  const deep = (filter: JobFilter) => async () => {
    let after: ListPosition | null = null;
    for (let i = 0; i < 200; i += 1) {
      const p = await actions.list(filter, { limit: 50, after });
      after = p.nextCursor === null ? null : parsePage(undefined, p.nextCursor).after;
    }
  };
  const reads: Array<[string, () => Promise<unknown>]> = [
    ["GET /emails (first page of 50)", () => actions.list({}, page)],
    ["GET /emails?status=failed", () => actions.list({ status: "failed" }, page)],
    // Each status's list in its own index's order (store/queries.ts ListOrder).
    ["GET /emails?status=pending", () => actions.list({ status: "pending" }, page)],
    ["GET /emails?status=sent", () => actions.list({ status: "sent" }, page)],
    // No job is sending: without the index of jobs in flight this read would walk the whole table.
    ["GET /emails?status=sending (none)", () => actions.list({ status: "sending" }, page)],
    ["GET /emails?recipient=reader42@", () => actions.list({ recipient: "reader42@" }, page)],
    ["GET /emails?batchId=batch-7", () => actions.list({ batchId: "batch-7" }, page)],
    ["200 pages by cursor (10,000 jobs)", deep({})],
    ["200 pages of status=pending", deep({ status: "pending" })],
    ["200 pages of status=sent", deep({ status: "sent" })],
    ["GET /batches/batch-7", () => actions.batch("batch-7")],
    ["GET /emails/stats", () => actions.stats()],
  ];
  process.stdout.write(`\n${label}: ${jobs.toLocaleString("en")} jobs written in ${(fillMs / 1000).toFixed(1)} s\n`);
  for (const [name, fn] of reads) {
    process.stdout.write(`  ${name.padEnd(40)} ${(await median(fn)).toFixed(1).padStart(8)} ms (median of ${RUNS})\n`);
  }
}

export async function run(args: string[]): Promise<void> {
  const jobs = Number(option(args, "--jobs") ?? 1_000_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-api-"));
  try {
    const sqlite = openDatabase({ dialect: "sqlite", file: path.join(dir, "steward.db") });
    await measure("SQLite", sqlite, jobs, dir).finally(() => sqlite.close());
    const pgUrl = option(args, "--pg") ?? process.env.TEST_DATABASE_URL;
    if (!pgUrl) return void process.stdout.write("\nPostgreSQL: skipped (no --pg URL or TEST_DATABASE_URL)\n");
    const schema = `bench_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    const url = new URL(pgUrl);
    url.searchParams.set("options", `-c search_path=${schema}`);
    const db = openDatabase({ dialect: "pg", url: url.toString() }, { poolSize: 4 });
    try {
      await measure("PostgreSQL", db, jobs, dir);
    } finally {
      await db.close();
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
