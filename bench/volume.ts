/**
 * `npm run bench -- volume [--big] [--jobs N] [--pg URL] [--only sqlite|pg] [--idle-seconds S] [--no-old-cleanup]`:
 * the email queue's costs that grow with the data (issue 11, aim 8), on SQLite and, with --pg
 * or TEST_DATABASE_URL, on PostgreSQL. It fills 1 million jobs (10 million with --big; half
 * scheduled ahead, half finished, see _volume-data.ts), then prints, each beside the way it was
 * done before in the same run:
 *  - the status refresh: counters and a loose index scan, against the count(*) per status, the
 *    min(run_at) and the last-minute counts it ran every 2 s;
 *  - an idle claim with the jobs scheduled ahead: the per-priority ranges of the partial
 *    index, against the old (status, priority, run_at) index (built for the comparison);
 *  - the idle CPU of a `steward start` holding that database beside one holding an empty one,
 *    over the same window;
 *  - the retention cleanup (30 days) in batches, with a tiny enqueue loop running beside it in
 *    the same process: its longest wait is the cleanup's longest stall; then each upkeep step
 *    after the last batch, timed; on SQLite, the old single DELETE on a copy of the data, with
 *    the same loop.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { migrate } from "../src/db/migrate.js";
import { type Database, openDatabase } from "../src/db/open.js";
import { toNumber } from "../src/db/sql.js";
import { enqueueEmail } from "../src/services/email/enqueue/enqueue.js";
import { FOLD_ROWS, foldUncounted, tidyEmailCounters } from "../src/services/email/store/counts.js";
import { createEmailStore } from "../src/services/email/store/create.js";
import { idleCpu } from "./_process-cpu.js";
import { fillJobs } from "./_volume-data.js";

const DAY = 86_400_000;
const ENQUEUE_GAP_MS = 2;
const IDLE_SETTLE_SECONDS = 30;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(3));

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function timed(n: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return quantile(times, 0.5);
}

/** A database to fill, an empty one beside it, and the URLs a spawned steward reaches them by. */
interface Target {
  db: Database;
  url: string;
  emptyUrl: string;
  dir: string;
  size(): Promise<string>;
  close(): Promise<void>;
}

async function sqliteTarget(): Promise<Target> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-volume-"));
  const file = path.join(dir, "steward.db");
  const emptyFile = path.join(dir, "empty.db");
  const empty = openDatabase({ dialect: "sqlite", file: emptyFile });
  await migrate(empty);
  await empty.close();
  // As the app opens it: WAL checkpoints in a worker thread, not in the committing connection.
  const db = openDatabase({ dialect: "sqlite", file }, { backgroundCheckpoint: true });
  await migrate(db);
  const mb = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size / 1e6 : 0);
  return {
    db,
    url: file,
    emptyUrl: emptyFile,
    dir,
    size: async () => `file ${mb(file).toFixed(0)} MB, WAL ${mb(`${file}-wal`).toFixed(1)} MB`,
    close: async () => {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function pgTarget(baseUrl: string): Promise<Target> {
  const tag = randomBytes(4).toString("hex");
  const schemas = [`bench_volume_${tag}`, `bench_volume_empty_${tag}`];
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  for (const s of schemas) await admin.query(`create schema ${s}`);
  const urlFor = (schema: string) => {
    const u = new URL(baseUrl);
    u.searchParams.set("options", `-c search_path=${schema}`);
    return u.toString();
  };
  const [full, emptySchema] = schemas as [string, string];
  const empty = openDatabase({ dialect: "pg", url: urlFor(emptySchema) });
  await migrate(empty);
  await empty.close();
  const db = openDatabase({ dialect: "pg", url: urlFor(full) }, { poolSize: 4 });
  await migrate(db);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-volume-"));
  return {
    db,
    url: urlFor(full),
    emptyUrl: urlFor(emptySchema),
    dir,
    size: async () => {
      const row = await db.sql.get<{ s: string }>("select pg_size_pretty(pg_total_relation_size('email_jobs')) as s");
      return `email_jobs with indexes ${row?.s}`;
    },
    close: async () => {
      await db.close();
      for (const s of schemas) await admin.query(`drop schema ${s} cascade`);
      await admin.end();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The status refresh as it was: three queries over email_jobs every 2 s. */
async function oldStats(db: Database, now: Date): Promise<void> {
  const minuteAgo = new Date(now.getTime() - 60_000);
  await db.sql.all("select status, count(*) as n from email_jobs group by status");
  await db.sql.get("select min(run_at) as at from email_jobs where status = 'pending' and run_at <= ?", [now]);
  await db.sql.get(
    `select (select count(*) from email_jobs where status = 'sent' and updated_at >= ?) as sent,
            (select count(*) from email_jobs where status = 'failed' and updated_at >= ?) as failed`,
    [minuteAgo, minuteAgo],
  );
}

/** The old claim's read, on the old index: built for the comparison, then dropped (rolled back on PostgreSQL). */
async function oldClaim(db: Database, now: Date): Promise<{ claim: number; oldest: number }> {
  const claimSql = (indexed: string) =>
    `select id from email_jobs ${indexed} where status = 'pending' and run_at <= ? order by priority, run_at limit 10`;
  const oldestSql = (indexed: string) =>
    `select min(run_at) as at from email_jobs ${indexed} where status = 'pending' and run_at <= ?`;
  if (db.dialect === "sqlite") {
    await db.sql.run("create index email_jobs_due_old on email_jobs (status, priority, run_at)");
    const indexed = "indexed by email_jobs_due_old";
    const result = {
      claim: await timed(5, () => db.sql.all(claimSql(indexed), [now])),
      oldest: await timed(5, () => db.sql.get(oldestSql(indexed), [now])),
    };
    await db.sql.run("drop index email_jobs_due_old");
    return result;
  }
  let result = { claim: 0, oldest: 0 };
  await db.sql
    .tx(async (tx) => {
      await tx.run("drop index email_jobs_pending_idx");
      await tx.run("create index email_jobs_due_old on email_jobs (status, priority, run_at)");
      await tx.run("analyze email_jobs");
      result = {
        claim: await timed(5, () => tx.all(`${claimSql("")} for update skip locked`, [now])),
        oldest: await timed(5, () => tx.get(oldestSql(""), [now])),
      };
      throw new Error("roll back");
    })
    .catch((error: Error) => {
      if (error.message !== "roll back") throw error;
    });
  return result;
}

function stewardEnv(url: string, dataDir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    DATABASE_URL: url,
    DATA_DIR: dataDir,
    STATUS_PORT: "0",
    LOG_FORMAT: "json",
    LOG_LEVEL: "info",
    // Idle means idle: no cleanup of the filled data, no backup of it.
    EMAIL_RETENTION_DAYS: "0",
    BACKUP_DATABASE_ENABLED: "false",
    BACKUP_FULL_ENABLED: "false",
    BACKUP_ROTATION_ENABLED: "false",
  };
}

/** An enqueue every ENQUEUE_GAP_MS until `until` settles; each one's wait counts from when it was due. */
async function enqueueLoop(t: Target, until: Promise<unknown>): Promise<number[]> {
  const waits: number[] = [];
  let running = true;
  void until.finally(() => {
    running = false;
  });
  while (running) {
    const due = performance.now() + ENQUEUE_GAP_MS;
    await new Promise((resolve) => setTimeout(resolve, ENQUEUE_GAP_MS));
    await enqueueEmail(t.db.sql, { to: "loop@example.com", subject: "during cleanup", text: "x" }, { now: new Date() });
    waits.push(performance.now() - due);
  }
  return waits;
}

const stallLine = (waits: number[]) =>
  `${waits.length} enqueues, longest stall ${ms(Math.max(...waits))} ms, p99 ${ms(quantile(waits, 0.99))} ms, ` +
  `p50 ${ms(quantile(waits, 0.5))} ms`;

/**
 * Writes what the fill (and the old cleanup's copy) left dirty: on PostgreSQL a CHECKPOINT, then
 * the file system's sync, so the cleanup starts from a flushed disk, as a database hours after
 * its last bulk load does. It does not make a busy shared disk quiet: with it, one 10-million-job
 * run still stalled 892 ms (see ioStall), against 41.0 ms in another.
 */
async function settleDisk(db: Database): Promise<number> {
  const started = performance.now();
  // CHECKPOINT needs a superuser or the pg_checkpoint role; without, the sync alone.
  if (db.dialect === "pg") await db.sql.run("checkpoint").catch(() => undefined);
  execFileSync("sync");
  return performance.now() - started;
}

/**
 * The share of the time from now until the returned function is called during which some task
 * on the machine waited for the disk (Linux's pressure stall information), or undefined where
 * /proc/pressure/io is missing. A stall figure means little without it on a shared disk: the
 * same 10-million-job cleanup stalled the loop 41.0 ms once and 892 ms in a run whose disk was busy.
 */
function ioStall(): () => number | undefined {
  const read = () => {
    try {
      const some = fs.readFileSync("/proc/pressure/io", "utf8").split("\n")[0] ?? "";
      return Number(/total=(\d+)/.exec(some)?.[1]);
    } catch {
      return Number.NaN;
    }
  };
  const before = read();
  const t0 = performance.now();
  return () => {
    const stalledUs = read() - before;
    return Number.isFinite(stalledUs) ? stalledUs / 1000 / (performance.now() - t0) : undefined;
  };
}

const ioText = (share: number | undefined) =>
  share === undefined ? "" : `; the disk kept some task waiting ${Math.round(share * 100)}% of the time`;

/** The cleanup with the enqueue loop beside it, after the same loop alone for a baseline of the machine's noise. */
async function cleanupWithEnqueues(t: Target, now: Date): Promise<void> {
  // The process's first enqueue prepares its statements and loads what it needs (76 ms once,
  // here): that is no stall of the loop's, and it would be the baseline's longest wait.
  await enqueueEmail(t.db.sql, { to: "loop@example.com", subject: "warm-up", text: "x" }, { now: new Date() });
  const quiet = ioStall();
  const alone = await enqueueLoop(t, new Promise((resolve) => setTimeout(resolve, 5_000)));
  const quietShare = quiet();
  const store = createEmailStore(t.db);
  const batches: number[] = [];
  let lastBatchAt = 0;
  const steps = new Map<string, number[]>();
  const busy = ioStall();
  const t0 = performance.now();
  const cleanup = store.cleanup(new Date(now.getTime() - 30 * DAY), {
    onBatch: (_n, m) => {
      batches.push(m);
      lastBatchAt = performance.now();
    },
    onUpkeep: (step, m) => steps.set(step, [...(steps.get(step) ?? []), m]),
  });
  const waits = await enqueueLoop(t, cleanup);
  const deleted = await cleanup;
  const busyShare = busy();
  const upkeep = performance.now() - lastBatchAt;
  const seconds = (performance.now() - t0) / 1000;
  // Each upkeep step: how many times it ran, the longest, the total.
  const stepText = [...steps]
    .map(
      ([step, m]) =>
        `${step} ${m.length > 1 ? `${m.length}x, longest ${ms(Math.max(...m))} ms, ` : ""}${ms(m.reduce((a, b) => a + b, 0))} ms`,
    )
    .join("; ");
  say(
    `  cleanup: ${deleted} jobs in ${seconds.toFixed(1)} s (${Math.round(deleted / seconds)}/s), ${batches.length} batches, ` +
      `longest batch ${ms(Math.max(...batches))} ms, p99 batch ${ms(quantile(batches, 0.99))} ms; ` +
      `upkeep after the last batch ${ms(upkeep)} ms (${stepText || "none"})`,
  );
  say(`  enqueue loop beside it: ${stallLine(waits)}${ioText(busyShare)} (aim: no stall over 100 ms)`);
  say(`  the same loop for 5 s without a cleanup: ${stallLine(alone)}${ioText(quietShare)}`);
  say(`  after cleanup: ${await t.size()}`);
}

/**
 * SQLite: the cleanup as it was, one DELETE without the counting triggers, on a copy of the same
 * data, with the same enqueue loop beside it. better-sqlite3 runs it on the event loop's thread,
 * as the old cleanup did, so the loop waits for all of it.
 */
async function oldCleanupStall(t: Target, now: Date): Promise<void> {
  if (t.db.dialect !== "sqlite") return;
  const file = path.join(t.dir, "old-cleanup.db");
  await t.db.sql.run("vacuum into ?", [file]);
  const db = openDatabase({ dialect: "sqlite", file }, { backgroundCheckpoint: true });
  try {
    // Every trigger that counts, read from the schema, since migrations rename them (sqlite 0018
    // made the three insert triggers one, 0019 took it off): all but the range checks of sqlite
    // 0005 (email_jobs.run_at's is a CHECK since 0019). The id trigger goes too, which is harmless
    // on a copy that only deletes.
    const counting = await db.sql.all<{ name: string }>(
      "select name from sqlite_master where type = 'trigger' and tbl_name = 'email_jobs' and name not like '%in_range%'",
    );
    for (const { name } of counting) await db.sql.run(`drop trigger \`${name}\``);
    const old = new Promise((resolve) => setTimeout(resolve, 200)).then(() =>
      db.sql.run("delete from email_jobs where status in ('sent', 'failed', 'cancelled') and updated_at < ?", [
        new Date(now.getTime() - 30 * DAY),
      ]),
    );
    const waits = await enqueueLoop({ ...t, db }, old);
    say(`  the old cleanup, one DELETE of ${await old} jobs on a copy: ${stallLine(waits)}`);
  } finally {
    await db.close();
    for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(`${file}${suffix}`, { force: true });
  }
}

async function volume(t: Target, jobs: number, idleSeconds: number, skipOld: boolean): Promise<void> {
  const { db } = t;
  const now = new Date();
  const t0 = performance.now();
  let shown = 0;
  await fillJobs(db, jobs, now, (done) => {
    if (done - shown >= jobs / 5 || done === jobs) {
      shown = done;
      process.stderr.write(`  filled ${done}\n`);
    }
  });
  const fillSeconds = (performance.now() - t0) / 1000;
  say(`  fill: ${jobs} jobs in ${fillSeconds.toFixed(1)} s (${Math.round(jobs / fillSeconds)}/s), ${await t.size()}`);
  await db.sql.run(db.dialect === "pg" ? "vacuum analyze email_jobs" : "analyze");
  // What the running queue does once a minute: the fill's past minutes leave the counters.
  await tidyEmailCounters(db.sql, now);

  // SQLite: the fill's pending jobs are above the counters' watermark (sqlite 0015), as a host
  // app's mass insert would leave them; the first refresh folds them in. Timed apart, since the
  // medians below come after it.
  if (db.dialect === "sqlite") {
    const f0 = performance.now();
    const folded = await foldUncounted(db.sql, now);
    say(
      `  first refresh's fold: ${folded} jobs into the counters in ${ms(performance.now() - f0)} ms (${FOLD_ROWS.toLocaleString("en-US")} a transaction)`,
    );
  }
  const store = createEmailStore(db);
  const fresh = await timed(20, () => store.stats(now));
  const old = await timed(3, () => oldStats(db, now));
  const roundTrip = await timed(20, () => db.sql.get("select 1"));
  say(
    `  status refresh: counters ${ms(fresh)} ms, old count(*) ${ms(old)} ms (${Math.round(old / fresh)}x); ` +
      `a select 1 takes ${ms(roundTrip)} ms (the refresh makes two round trips)`,
  );

  const claim = () => store.claim({ holder: "bench", now, leaseMs: 60_000, limit: 10, messageIdDomain: "bench.test" });
  const claimed = await claim();
  if (claimed.length > 0) throw new Error("the bench's idle claim found due jobs");
  const newClaim = await timed(20, claim);
  const before = await oldClaim(db, now);
  say(
    `  idle claim with ${Math.floor(jobs / 2)} jobs ahead: ${ms(newClaim)} ms, old index ${ms(before.claim)} ms; ` +
      `old oldest-pending query ${ms(before.oldest)} ms`,
  );

  // The fill leaves its WAL behind (a hundred MB and more), and whichever process opens the file
  // next copies it into the database: on a slow machine that ran on past the idle measure's
  // settling time and read as 0.3 points of idle CPU (0.07 with the WAL checkpointed first).
  // Idle is what a process does after that, so the fill pays for it here.
  if (db.dialect === "sqlite") {
    const c0 = performance.now();
    await db.sql.run("pragma wal_checkpoint(TRUNCATE)");
    say(`  the fill's WAL checkpointed before the idle measure: ${ms(performance.now() - c0)} ms`);
  }
  // Start-up settles for 30 s, as in `bench idle`: its last one-off work came up to 20 s after
  // the start (100 ms of CPU at once, in a 5 s sampling of both processes on 10 million jobs),
  // and such a lump inside one process's window and not the other's read as 0.3-0.4 points.
  const [full, empty] = await idleCpu(
    [stewardEnv(t.url, path.join(t.dir, "data-full")), stewardEnv(t.emptyUrl, path.join(t.dir, "data-empty"))],
    { cwd: t.dir, seconds: idleSeconds, settleSeconds: IDLE_SETTLE_SECONDS },
  );
  say(
    `  idle CPU over ${idleSeconds} s: ${(full as number).toFixed(2)}% of a core with these jobs, ` +
      `${(empty as number).toFixed(2)}% empty (difference ${((full as number) - (empty as number)).toFixed(2)} points; aim 0.2)`,
  );

  if (!skipOld) await oldCleanupStall(t, now);
  say(`  the disk settled before the cleanup: ${ms(await settleDisk(t.db))} ms`);
  await cleanupWithEnqueues(t, now);
  const later = new Date();
  say(`  status refresh at the end: ${ms(await timed(20, () => store.stats(later)))} ms`);
  const after = await store.stats(later);
  const truth = await db.sql.all<{ status: string; n: unknown }>(
    "select status, count(*) as n from email_jobs group by status",
  );
  const exact = truth.every((r) => after.counts[r.status as keyof typeof after.counts] === toNumber(r.n));
  say(`  counters after it all: ${JSON.stringify(after.counts)} (${exact ? "equal to" : "DIFFERENT FROM"} count(*))`);
}

export async function run(args: string[]): Promise<void> {
  const big = args.includes("--big");
  const jobs = Number(option(args, "--jobs") ?? (big ? 10_000_000 : 1_000_000));
  const pgUrl = option(args, "--pg") ?? process.env.TEST_DATABASE_URL;
  const only = option(args, "--only");
  const idleSeconds = Number(option(args, "--idle-seconds") ?? 30);
  say(
    `volume: ${jobs} jobs, ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const dialects = (["sqlite", "pg"] as const).filter((d) => (only ? d === only : d === "sqlite" || pgUrl));
  for (const dialect of dialects) {
    say(`${dialect === "pg" ? "PostgreSQL" : "SQLite"}:`);
    const target = dialect === "pg" ? await pgTarget(pgUrl as string) : await sqliteTarget();
    try {
      await volume(target, jobs, idleSeconds, args.includes("--no-old-cleanup"));
    } finally {
      await target.close();
    }
  }
  say(
    `load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}
