/**
 * `npm run bench -- pickup [--jobs N] [--rate N] [--pg URL]`: how soon a job committed by
 * another process reaches a worker here. A real Steward host (the email service, its wake-ups,
 * the default 500 ms poll) runs in this process with a transport that notes when each send
 * starts; a host app in a child process (bench/_pickup-enqueuer.ts) commits `--jobs` (1,000)
 * jobs at `--rate` (200) a second, through enqueueEmail and as plain INSERTs. SQLite always;
 * PostgreSQL too with --pg, BENCH_DATABASE_URL or TEST_DATABASE_URL. Issue 11 measured 255 ms
 * p50 and 498 ms p99 on SQLite before the wake-up (the poll's half and whole interval).
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type Sqlite from "better-sqlite3";
import pg from "pg";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config/load.js";
import { createLogger } from "../src/core/logger.js";
import { createMetrics } from "../src/core/metrics.js";
import { migrate } from "../src/db/migrate.js";
import { openDatabase } from "../src/db/open.js";
import { watchOtherCommits } from "../src/db/sqlite-commit-watch.js";
import { emailServiceDefinition } from "../src/services/email/definition.js";
import type { EmailTransport } from "../src/services/email/send/transports/transport.js";
import { monotonicMs } from "./_sink.js";

const AIM_P99_MS = { sqlite: 5, pg: 10 } as const;
type Dialect = keyof typeof AIM_P99_MS;
type Mode = "api" | "sql" | "notify";

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function count(args: string[], name: string, fallback: number): number {
  const value = Number(option(args, name) ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number;

/** A database of its own: a SQLite file in a fresh folder, or a fresh schema. */
async function freshDatabase(
  dialect: Dialect,
  pgUrl: string | undefined,
): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-pickup-"));
    return { url: path.join(dir, "steward.db"), drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const url = new URL(pgUrl as string);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    },
  };
}

/** Runs the host app's process (bench/_pickup-enqueuer.ts) to its end. */
async function enqueueFromAnotherProcess(url: string, mode: Mode, jobs: number, rate: number): Promise<void> {
  const script = new URL("./_pickup-enqueuer.js", import.meta.url);
  const child = fork(script, [url, mode, String(jobs), String(rate)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`the enqueuing process exited with ${code}`);
}

async function collected(latencies: number[], jobs: number): Promise<number[]> {
  const deadline = Date.now() + 30_000;
  while (latencies.length < jobs && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (latencies.length < jobs) throw new Error(`only ${latencies.length} of ${jobs} jobs arrived`);
  return latencies;
}

/**
 * The floor, with no Steward running: on SQLite the same commit watch with nothing behind it
 * (the rows a commit brought, read by rowid as it is told); on PostgreSQL a bare LISTEN for a
 * NOTIFY committed with the row, which carries its start time. Both include the host app's own
 * commit (on PostgreSQL an fsync of its WAL); what Steward adds is the rest: on PostgreSQL the
 * claim, a write that commits (and fsyncs) too.
 */
async function measureFloor(dialect: Dialect, jobs: number, rate: number, pgUrl?: string): Promise<number[]> {
  const { url, drop } = await freshDatabase(dialect, pgUrl);
  const latencies: number[] = [];
  const began = (subject: string) => Number(subject.split(" ")[2]);
  if (dialect === "pg") {
    const db = openDatabase({ dialect: "pg", url }, { poolSize: 1 });
    await migrate(db);
    await db.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    client.on("notification", (n) => latencies.push(monotonicMs() - Number(n.payload)));
    await client.query("listen steward_bench");
    try {
      await enqueueFromAnotherProcess(url, "notify", jobs, rate);
      return await collected(latencies, jobs);
    } finally {
      await client.end();
      await drop();
    }
  }
  const db = openDatabase({ dialect: "sqlite", file: url });
  await migrate(db);
  const raw = (db.driver as { db: Sqlite.Database }).db;
  const newer = raw.prepare("select rowid as r, subject from email_jobs where rowid > ? order by rowid");
  let seen = 0;
  const watch = watchOtherCommits({
    db: raw,
    file: url,
    onCommit: () => {
      const at = monotonicMs();
      for (const row of newer.all(seen) as Array<{ r: number; subject: string }>) {
        seen = row.r;
        latencies.push(at - began(row.subject));
      }
    },
  });
  try {
    await enqueueFromAnotherProcess(url, "sql", jobs, rate);
    return await collected(latencies, jobs);
  } finally {
    watch.close();
    await db.close();
    await drop();
  }
}

/** Milliseconds from each enqueue's start in the child to its send's start here. */
async function measure(dialect: Dialect, mode: Mode, jobs: number, rate: number, pgUrl?: string): Promise<number[]> {
  const { url, drop } = await freshDatabase(dialect, pgUrl);
  const latencies: number[] = [];
  const transport: EmailTransport = {
    kind: "bench",
    async send(message) {
      const [, , began] = String(message.mail.subject).split(" ");
      latencies.push(monotonicMs() - Number(began));
      return { accepted: [String(message.mail.to)], refusals: [] };
    },
    close: async () => {},
  };
  const cwd = path.dirname(dialect === "sqlite" ? url : os.tmpdir());
  const { config } = loadConfig(
    { DATABASE_URL: url, STATUS_PORT: "0", EMAIL_FROM: "Bench <bench@example.com>" },
    { cwd, isTTY: false, hostname: os.hostname(), pid: process.pid },
  );
  const app = createApp({
    config,
    logger: createLogger({ level: "warn", format: "json", secrets: [], fd: 2 }),
    definitions: [emailServiceDefinition({ transport: () => transport })],
    hostname: os.hostname(),
    pid: process.pid,
    metrics: createMetrics({ processMetrics: false }),
  });
  try {
    await app.start();
    await enqueueFromAnotherProcess(url, mode, jobs, rate);
    return await collected(latencies, jobs);
  } finally {
    await app.stop();
    await drop();
  }
}

export async function run(args: string[]): Promise<void> {
  const jobs = count(args, "--jobs", 1000);
  const rate = count(args, "--rate", 200);
  const pgUrl = option(args, "--pg") ?? process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const dialects: Dialect[] = pgUrl ? ["sqlite", "pg"] : ["sqlite"];
  console.log(
    `pickup: ${jobs.toLocaleString("en")} jobs committed by another process at ${rate}/s, until their send starts here`,
  );
  console.log("  (issue 11, before: SQLite p50 255 ms, p99 498 ms: the 500 ms poll)");
  const line = (dialect: Dialect, how: string, latencies: number[], aim?: number) => {
    const sorted = [...latencies].sort((a, b) => a - b);
    const [p50, p99, max] = [percentile(sorted, 50), percentile(sorted, 99), sorted[sorted.length - 1] as number];
    const verdict = aim === undefined ? "" : `   aim p99 <= ${aim} ms: ${p99 <= aim ? "met" : "NOT met"}`;
    console.log(
      `  ${dialect.padEnd(6)} ${how.padEnd(22)} p50 ${p50.toFixed(2).padStart(6)} ms  p99 ${p99.toFixed(2).padStart(6)} ms  max ${max.toFixed(1).padStart(6)} ms${verdict}`,
    );
  };
  for (const dialect of dialects) {
    const floor = dialect === "sqlite" ? "floor: the watch alone" : "floor: LISTEN alone";
    line(dialect, floor, await measureFloor(dialect, jobs, rate, pgUrl));
    for (const mode of ["api", "sql"] as const) {
      const how = mode === "api" ? "enqueueEmail" : "plain INSERT";
      line(dialect, how, await measure(dialect, mode, jobs, rate, pgUrl), AIM_P99_MS[dialect]);
    }
  }
  const load = os.loadavg().map((n) => n.toFixed(2));
  console.log(
    `  load average ${load.join(", ")} on ${os.cpus().length} cores (a tail over the aim on a loaded machine is the scheduler's)`,
  );
  if (!pgUrl) console.log("  PostgreSQL skipped: pass --pg URL (or set BENCH_DATABASE_URL)");
}
