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
import pg from "pg";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config/load.js";
import { createLogger } from "../src/core/logger.js";
import { createMetrics } from "../src/core/metrics.js";
import { emailServiceDefinition } from "../src/services/email/definition.js";
import type { EmailTransport } from "../src/services/email/send/transports/transport.js";
import { monotonicMs } from "./_sink.js";

const AIM_P99_MS = { sqlite: 5, pg: 10 } as const;
type Dialect = keyof typeof AIM_P99_MS;
type Mode = "api" | "sql";

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
    const script = new URL("./_pickup-enqueuer.js", import.meta.url);
    const child = fork(script, [url, mode, String(jobs), String(rate)], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const code = await exited;
    if (code !== 0) throw new Error(`the enqueuing process exited with ${code}`);
    const deadline = Date.now() + 30_000;
    while (latencies.length < jobs && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (latencies.length < jobs) throw new Error(`only ${latencies.length} of ${jobs} jobs were sent`);
    return latencies;
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
  for (const dialect of dialects) {
    for (const mode of ["api", "sql"] as const) {
      const sorted = (await measure(dialect, mode, jobs, rate, pgUrl)).sort((a, b) => a - b);
      const [p50, p99, max] = [percentile(sorted, 50), percentile(sorted, 99), sorted[sorted.length - 1] as number];
      const aim = AIM_P99_MS[dialect];
      const how = mode === "api" ? "enqueueEmail" : "plain INSERT";
      console.log(
        `  ${dialect.padEnd(6)} ${how.padEnd(12)} p50 ${p50.toFixed(2).padStart(6)} ms  p99 ${p99.toFixed(2).padStart(6)} ms  max ${max.toFixed(1).padStart(6)} ms   aim p99 <= ${aim} ms: ${p99 <= aim ? "met" : "NOT met"}`,
      );
    }
  }
  const load = os.loadavg().map((n) => n.toFixed(2));
  console.log(
    `  load average ${load.join(", ")} on ${os.cpus().length} cores (a tail over the aim on a loaded machine is the scheduler's)`,
  );
  if (!pgUrl) console.log("  PostgreSQL skipped: pass --pg URL (or set BENCH_DATABASE_URL)");
}
