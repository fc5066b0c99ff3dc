/**
 * `npm run bench -- queue [--quick] [--pg URL]`: the email queue as a host app feels it, on
 * SQLite and PostgreSQL (with --pg or TEST_DATABASE_URL), each figure beside a raw baseline
 * (bench/_raw-queue.ts) measured in the same run, steps taken in turns so a burst of load from
 * elsewhere does not land on one side only:
 *  - enqueue one by one, through the host-app API on the app's own handle, each awaited;
 *  - enqueue in bulk, 1,000 jobs a call;
 *  - drain, 10 in flight, timed from starting the workers to the last job durably `sent`, less
 *    the host's start-up (printed under the table);
 *  - latency at a steady 200 jobs/s, enqueue call -> handler start, with the workers in the
 *    enqueuing process and in another one (found the way production finds other commits);
 *  - POST /emails from 32 keep-alive connections to the host in a process of its own, workers on.
 * Steward runs through bench/peer-adapter.ts, the code the peer harness runs. `--quick` runs
 * every row with few jobs: a smoke test, not figures.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { childRunner, type QueueKind } from "./_queue-runner.js";
import { make, makeRaw, type PeerOptions, type PeerQueue } from "./peer-adapter.js";

interface Sizes {
  jobs: number;
  latency: number;
  warm: number;
  rate: number;
  httpSeconds: number;
  connections: number;
}

const FULL: Sizes = { jobs: 20_000, latency: 1_000, warm: 200, rate: 200, httpSeconds: 5, connections: 32 };
const QUICK: Sizes = { jobs: 500, latency: 60, warm: 20, rate: 200, httpSeconds: 1, connections: 32 };
const CHUNK = 1_000;
const IN_FLIGHT = 10;

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const payload = (i: number) => ({ to: `reader${i}@example.com`, i, t: 0 });

async function until(check: () => boolean, what: string, ms = 300_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

async function enqueueOneByOne(q: PeerQueue, n: number): Promise<number> {
  await q.reset();
  const start = now();
  for (let i = 0; i < n; i += 1) await q.enqueueOne(payload(i));
  return (n / (now() - start)) * 1000;
}

async function enqueueBulk(q: PeerQueue, n: number): Promise<number> {
  await q.reset();
  const all = Array.from({ length: n }, (_, i) => payload(i));
  const start = now();
  for (let i = 0; i < n; i += CHUNK) await q.enqueueBulk(all.slice(i, i + CHUNK));
  return (n / (now() - start)) * 1000;
}

async function drain(q: PeerQueue, n: number): Promise<number> {
  await q.reset();
  const all = Array.from({ length: n }, (_, i) => payload(i));
  for (let i = 0; i < n; i += CHUNK) await q.enqueueBulk(all.slice(i, i + CHUNK));
  let done = 0;
  const start = now();
  const onDone = () => {
    done += 1;
  };
  const worker = await q.startWorker({ concurrency: IN_FLIGHT, onStart: () => {}, onDone });
  await until(() => done >= n, `${n} jobs drained`);
  // The host's start-up (listen, migration check, worker thread) is not the queue's speed.
  const ms = now() - start - q.lastStartMs;
  await worker.stop();
  return (n / ms) * 1000;
}

/** Open loop: job i is enqueued at start + i/rate whatever earlier enqueues cost; the warm-up is not recorded. */
async function latency(q: PeerQueue, sizes: Sizes): Promise<{ p50: number; p99: number }> {
  await q.reset();
  const lags: number[] = [];
  let seen = 0;
  const worker = await q.startWorker({
    concurrency: IN_FLIGHT,
    onStart: (data) => {
      const { i, t } = data as { i: number; t: number };
      seen += 1;
      if (i >= sizes.warm) lags.push(now() - t);
    },
    onDone: () => {},
  });
  await sleep(500); // the workers reach their idle wait
  const total = sizes.warm + sizes.latency;
  const gap = 1000 / sizes.rate;
  const start = now() + 10;
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < total; i += 1) {
    const wait = start + i * gap - now();
    if (wait > 0) await sleep(wait);
    const p = payload(i);
    p.t = now();
    pending.push(q.enqueueOne(p));
  }
  await Promise.all(pending);
  await until(() => seen >= total, "every latency job", 60_000);
  await worker.stop();
  return { p50: percentile(lags, 50), p99: percentile(lags, 99) };
}

const BODY = (i: number) =>
  JSON.stringify({ to: `reader${i}@example.com`, subject: "welcome", text: JSON.stringify(payload(i)) });

/**
 * `connections` loops, each on its own keep-alive socket, POSTing one request after another
 * for `seconds` (after a warm-up of a fifth of that, not recorded).
 */
async function httpLoad(
  port: number,
  sizes: Sizes,
): Promise<{ rate: number; p99: number; statuses: Record<string, number> }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sizes.connections });
  const post = (i: number) =>
    new Promise<number>((resolve, reject) => {
      const body = BODY(i);
      const req = http.request(
        {
          host: "127.0.0.1",
          port,
          path: "/emails",
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  let counter = 0;
  const warmUntil = now() + sizes.httpSeconds * 200;
  const endAt = warmUntil + sizes.httpSeconds * 1000;
  const loop = async () => {
    while (now() < endAt) {
      const start = now();
      const status = await post(counter++);
      if (start < warmUntil) continue;
      times.push(now() - start);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: sizes.connections }, loop));
  agent.destroy();
  return { rate: times.length / sizes.httpSeconds, p99: percentile(times, 99), statuses };
}

async function httpFigures(
  kind: QueueKind,
  options: Required<Pick<PeerOptions, "variant" | "dir">> & PeerOptions,
  sizes: Sizes,
) {
  const runner = await childRunner();
  try {
    const database =
      options.variant === "sqlite"
        ? path.join(options.dir, kind === "raw" ? "raw-queue.db" : "steward-queue.db")
        : (options.pgUrl as string);
    const { port } = await runner.start(
      { kind, target: { variant: options.variant, database, dir: options.dir }, workers: IN_FLIGHT, http: true },
      { onStart: () => {}, onDone: () => {} },
    );
    return await httpLoad(port, sizes);
  } finally {
    await runner.close();
  }
}

type Row = { label: string; steward: number; raw: number; unit: "rate" | "ms" };

const fmt = (x: number, unit: Row["unit"]) =>
  !Number.isFinite(x) ? "—" : unit === "rate" ? Math.round(x).toLocaleString("en-US") : x.toFixed(1);

function printTable(title: string, rows: Row[]): void {
  console.log(`\n${title.padEnd(46)} ${"Steward".padStart(9)} ${"raw".padStart(9)} ${"Steward/raw".padStart(12)}`);
  for (const r of rows) {
    const ratio = r.steward / r.raw;
    console.log(
      `  ${r.label.padEnd(44)} ${fmt(r.steward, r.unit).padStart(9)} ${fmt(r.raw, r.unit).padStart(9)} ${(Number.isFinite(ratio) ? ratio.toFixed(2) : "—").padStart(12)}`,
    );
  }
}

/** A fresh PostgreSQL schema for one run, dropped after. */
async function pgSchema(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `bench_queue_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const scoped = new URL(url);
  scoped.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: scoped.toString(),
    drop: async () => {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    },
  };
}

async function dialect(variant: "sqlite" | "pg", pgUrl: string | undefined, sizes: Sizes): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-queue-"));
  const scoped = variant === "pg" ? await pgSchema(pgUrl as string) : undefined;
  const options = { variant, dir, pgUrl: scoped?.url };
  const rows: Row[] = [];
  const both = async (
    label: string,
    unit: Row["unit"],
    measure: (q: PeerQueue) => Promise<number>,
    qs: [PeerQueue, PeerQueue],
  ) => {
    const steward = await measure(qs[0]);
    const raw = await measure(qs[1]);
    rows.push({ label, steward, raw, unit });
  };
  const startUps: number[] = [];
  try {
    const here: [PeerQueue, PeerQueue] = [
      await make({ ...options, wake: true }),
      await makeRaw({ ...options, wake: true }),
    ];
    try {
      await both("enqueue 1-by-1 (jobs/s)", "rate", (q) => enqueueOneByOne(q, sizes.jobs), here);
      await both(
        `enqueue bulk, ${CHUNK.toLocaleString("en-US")} a call (jobs/s)`,
        "rate",
        (q) => enqueueBulk(q, sizes.jobs),
        here,
      );
      await both(`drain, ${IN_FLIGHT} in flight (jobs/s)`, "rate", (q) => drain(q, sizes.jobs), here);
      startUps.push(here[0].lastStartMs);
      const lat = [await latency(here[0], sizes), await latency(here[1], sizes)];
      rows.push({
        label: `latency at ${sizes.rate}/s, same process, p50 (ms)`,
        steward: lat[0]?.p50 ?? Number.NaN,
        raw: lat[1]?.p50 ?? Number.NaN,
        unit: "ms",
      });
      rows.push({
        label: `latency at ${sizes.rate}/s, same process, p99 (ms)`,
        steward: lat[0]?.p99 ?? Number.NaN,
        raw: lat[1]?.p99 ?? Number.NaN,
        unit: "ms",
      });
    } finally {
      for (const q of here) await q.close();
    }
    const apart: [PeerQueue, PeerQueue] = [
      await make({ ...options, wake: false }),
      await makeRaw({ ...options, wake: false }),
    ];
    try {
      const lat = [await latency(apart[0], sizes), await latency(apart[1], sizes)];
      rows.push({
        label: `latency at ${sizes.rate}/s, other process, p50 (ms)`,
        steward: lat[0]?.p50 ?? Number.NaN,
        raw: lat[1]?.p50 ?? Number.NaN,
        unit: "ms",
      });
      rows.push({
        label: `latency at ${sizes.rate}/s, other process, p99 (ms)`,
        steward: lat[0]?.p99 ?? Number.NaN,
        raw: lat[1]?.p99 ?? Number.NaN,
        unit: "ms",
      });
    } finally {
      for (const q of apart) await q.close();
    }
    const steward = await httpFigures("steward", { ...options }, sizes);
    const raw = await httpFigures("raw", { ...options }, sizes);
    rows.push({
      label: `POST /emails, ${sizes.connections} connections (req/s)`,
      steward: steward.rate,
      raw: raw.rate,
      unit: "rate",
    });
    rows.push({
      label: `POST /emails, ${sizes.connections} connections, p99 (ms)`,
      steward: steward.p99,
      raw: raw.p99,
      unit: "ms",
    });
    const title = variant === "sqlite" ? "SQLite (WAL, synchronous=NORMAL)" : "PostgreSQL";
    printTable(title, rows);
    console.log(`  answers: Steward ${JSON.stringify(steward.statuses)}, raw ${JSON.stringify(raw.statuses)}`);
    console.log(
      `  Steward's host start-up, taken out of the drain's time: ${startUps.map((ms) => Math.round(ms)).join(", ")} ms`,
    );
  } finally {
    await scoped?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

export async function run(args: string[]): Promise<void> {
  const quick = args.includes("--quick");
  const sizes = quick ? QUICK : FULL;
  const at = args.indexOf("--pg");
  const pgUrl = (at >= 0 ? args[at + 1] : undefined) ?? process.env.TEST_DATABASE_URL;
  console.log(
    `queue benchmark${quick ? " (--quick: few jobs, a smoke test, not figures)" : ""} — node ${process.version}, ${os.cpus().length} cores, load average before ${loadAverage()}`,
  );
  const n = sizes.jobs.toLocaleString("en-US");
  console.log(
    `${n} jobs enqueued one by one and in bulk, ${n} drained; latency: ${sizes.latency} jobs at ${sizes.rate}/s after ${sizes.warm} unrecorded, enqueue call -> handler start; HTTP: ${sizes.httpSeconds} s. Rates: higher is better; ms: lower is better.`,
  );
  await dialect("sqlite", undefined, sizes);
  if (pgUrl) await dialect("pg", pgUrl, sizes);
  else console.log("\nPostgreSQL skipped (pass --pg URL or set TEST_DATABASE_URL)");
  console.log(`\nload average after ${loadAverage()}`);
}
