/**
 * `npm run bench -- enqueue [--pg URL] [--n 20000] [--pg-one 3000] [--reps 3] [--seconds 5] [--only sqlite,pg,http]`:
 * the enqueue path (issue 11, aims 2-4), each figure beside a raw baseline from the same run.
 *  - one by one: `enqueueEmailSync` on a host app's own better-sqlite3 handle (the outbox
 *    pattern), `enqueueEmail` on a host app's pg Pool; baseline: one prepared INSERT of the
 *    peer harness's reference row (bench/_raw-queue.ts);
 *  - bulk: the same APIs' plural forms in 1,000-job calls, plain and templated; baseline: the
 *    reference rows 1,000 to a transaction (SQLite) or to one `unnest` INSERT (PostgreSQL);
 *  - HTTP: POST /emails on a real `steward start` (no workers) with 32 keep-alive connections,
 *    requests/s and p50/p99, every 202 id then looked up in the table; baseline: a bare
 *    node:http server inserting the reference row per request (bench/_raw-http-server.ts), and
 *    the same server storing nothing: node:http's own ceiling under this load on this machine;
 *    between them and Steward, Steward's HTTP layer alone (bench/_router-http-server.ts).
 *  - and, on SQLite, the same rows into email_jobs validated beforehand: the table's ceiling.
 * Medians of `--reps` interleaved runs; the JIT is warmed before each measured run.
 *
 * Where the time went (node --cpu-prof, 20,000 jobs, 2026-12-01), before -> after this bench's change:
 *  - one by one on SQLite: 52% native SQLite (BEGIN IMMEDIATE, INSERT ... RETURNING, COMMIT, and
 *    a new better-sqlite3 transaction wrapper a call), 21% the RFC 5322 parser, 13% GC, 5% ids
 *    -> 81% the INSERT itself (autocommit, no RETURNING), 8% validation; what remains is the
 *    row: 29 columns, a text key and 6 indexes, about 8 WAL pages a commit (the lean schema).
 *  - bulk on SQLite: 36% the RFC 5322 parser, 17% GC, 16% native, 7% ids (randomBytes and
 *    BigInt shifts per id) -> 44% native (a 1,000-row INSERT into that table), 19% validation.
 *  - bulk on PostgreSQL: 39% waiting for the server, 26% the parser, 12% GC -> the server.
 *  - POST /emails: one transaction per request -> one per group (the commit was most of it).
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { projectRoot } from "../src/core/project.js";
import { migrate } from "../src/db/migrate.js";
import { openDatabase } from "../src/db/open.js";
import type { EmailInput } from "../src/index.js";
import { enqueueEmail, enqueueEmailSync, enqueueEmails, enqueueEmailsSync } from "../src/index.js";
import { type PreparedRow, prepareRows } from "../src/services/email/enqueue/insert.js";
import { sqliteInsert } from "../src/services/email/enqueue/sqlite-insert.js";
import { type LoadResult, postLoad } from "./_load.js";
import { rawPgQueue, rawSqliteQueue } from "./_raw-enqueue.js";

const CHUNK = 1000;

/** The peer harness's payload, as its Steward adapter turns it into a message. */
const payload = (i: number) => ({ to: `user${i}@example.test`, template: "welcome", i, t: 0 });
const plain = (i: number): EmailInput => ({ to: payload(i).to, subject: "welcome", text: JSON.stringify(payload(i)) });
const templated = (i: number): EmailInput => ({
  to: `User ${i} <user${i}@example.test>`,
  templateId: "welcome",
  variables: { name: `User ${i}`, product: "Steward" },
});

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function rate(n: number, fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return (n / (performance.now() - start)) * 1000;
}

type Rates = Record<string, number[]>;
const push = (rates: Rates, key: string, value: number) => {
  rates[key] ??= [];
  rates[key].push(value);
};

function line(label: string, ours: number[] | undefined, raw: number[] | undefined, unit = "jobs/s"): void {
  if (!ours || !raw) return;
  const o = median(ours);
  const r = median(raw);
  console.log(
    `  ${label.padEnd(30)} ${fmt(o).padStart(9)} ${unit}   raw ${fmt(r).padStart(9)} ${unit}   ratio ${(o / r).toFixed(2)}`,
  );
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

async function sqliteRep(n: number, rates: Rates): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-enqueue-"));
  const file = path.join(dir, "steward.db");
  // Steward's own process holds the database as src/app.ts opens it; the host app its own handle.
  const steward = openDatabase({ dialect: "sqlite", file }, { backgroundCheckpoint: true });
  await migrate(steward);
  const host = new Sqlite(file);
  const rawDb = new Sqlite(path.join(dir, "raw.db"));
  rawDb.pragma("journal_mode = WAL");
  rawDb.pragma("synchronous = NORMAL");
  const raw = rawSqliteQueue(rawDb);
  try {
    const payloads = Array.from({ length: n }, (_, i) => JSON.stringify(payload(i)));
    const inputs = Array.from({ length: n }, (_, i) => plain(i));
    const withTemplate = Array.from({ length: n }, (_, i) => templated(i));
    for (let i = 0; i < 2000; i += 1) {
      raw.one(payloads[i] as string);
      enqueueEmailSync(host, inputs[i] as EmailInput);
    }
    raw.bulk(payloads.slice(0, CHUNK));
    enqueueEmailsSync(host, inputs.slice(0, CHUNK));
    enqueueEmailsSync(host, withTemplate.slice(0, CHUNK));
    const each =
      <T>(items: readonly T[], fn: (item: T) => void) =>
      () => {
        for (const item of items) fn(item);
      };
    push(rates, "raw one", await rate(n, each(payloads, raw.one)));
    push(
      rates,
      "one",
      await rate(
        n,
        each(inputs, (input) => enqueueEmailSync(host, input)),
      ),
    );
    push(rates, "raw bulk", await rate(n, each(chunks(payloads), raw.bulk)));
    push(
      rates,
      "bulk",
      await rate(
        n,
        each(chunks(inputs), (c) => enqueueEmailsSync(host, c)),
      ),
    );
    push(
      rates,
      "bulk templated",
      await rate(
        n,
        each(chunks(withTemplate), (c) => enqueueEmailsSync(host, c)),
      ),
    );
    // The table's own ceiling: rows validated beforehand, each INSERT prepared once (what is left
    // once validation is free; the gap from here to raw is the row and its indexes).
    const rows = prepareRows(inputs, { now: new Date() });
    const statements = new Map<string, Sqlite.Statement>();
    const insert = (chunk: PreparedRow[]) => {
      const { text, params } = sqliteInsert(chunk, false);
      let statement = statements.get(text);
      if (!statement) {
        statement = host.prepare(text);
        statements.set(text, statement);
      }
      statement.run(params);
    };
    push(
      rates,
      "table one",
      await rate(
        n,
        each(rows, (r) => insert([r])),
      ),
    );
    push(rates, "table bulk", await rate(n, each(chunks(prepareRows(inputs, { now: new Date() })), insert)));
  } finally {
    host.close();
    rawDb.close();
    await steward.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function pgRep(url: string, n: number, nOne: number, rates: Rates): Promise<void> {
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const scoped = new URL(url);
  scoped.searchParams.set("options", `-c search_path=${schema}`);
  const steward = openDatabase({ dialect: "pg", url: scoped.toString() }, { poolSize: 10 });
  const host = new pg.Pool({ connectionString: scoped.toString(), max: 10 });
  try {
    await migrate(steward);
    const raw = await rawPgQueue(host);
    const payloads = Array.from({ length: n }, (_, i) => JSON.stringify(payload(i)));
    const inputs = Array.from({ length: n }, (_, i) => plain(i));
    for (let i = 0; i < 500; i += 1) {
      await raw.one(payloads[i] as string);
      await enqueueEmail(host, inputs[i] as EmailInput);
    }
    await raw.bulk(payloads.slice(0, CHUNK));
    await enqueueEmails(host, inputs.slice(0, CHUNK));
    const each = async <T>(items: readonly T[], fn: (item: T) => Promise<unknown>) => {
      for (const item of items) await fn(item);
    };
    push(rates, "raw one", await rate(nOne, () => each(payloads.slice(0, nOne), raw.one)));
    push(rates, "one", await rate(nOne, () => each(inputs.slice(0, nOne), (input) => enqueueEmail(host, input))));
    push(rates, "raw bulk", await rate(n, () => each(chunks(payloads), raw.bulk)));
    push(rates, "bulk", await rate(n, () => each(chunks(inputs), (c) => enqueueEmails(host, c))));
  } finally {
    await host.end();
    await steward.close();
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}

/** `steward start` with the HTTP API and no workers, so the table holds every job it took. */
async function startSteward(dir: string, token: string): Promise<{ port: number; stop(): Promise<void> }> {
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    DATA_DIR: path.join(dir, "data"),
    ADMIN_TOKEN: token,
    EMAIL_QUEUE_ENABLED: "false",
    STATUS_PORT: "0",
    LOG_FORMAT: "json",
    LOG_LEVEL: "info",
  };
  const child = spawn(process.execPath, [path.join(projectRoot(), "bin/steward.js"), "start"], { env, cwd: dir });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const match = /status on http:\/\/[^:]+:(\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.stderr.on("data", (d: Buffer) => process.stderr.write(d));
    child.once("exit", (code) => reject(new Error(`steward exited with ${code} before it listened\n${out}`)));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** The raw server storing into `file`, or storing nothing without one (node:http's ceiling). */
async function forkRawServer(file?: string): Promise<{ port: number; child: ChildProcess }> {
  return forkServer("./_raw-http-server.js", file ? [file] : []);
}

async function forkServer(script: string, args: string[]): Promise<{ port: number; child: ChildProcess }> {
  const child = fork(new URL(script, import.meta.url), args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const { port } = await new Promise<{ port: number }>((resolve) => child.once("message", (m) => resolve(m as never)));
  return { port, child };
}

function httpLine(label: string, r: LoadResult): void {
  const statuses = [...r.statuses].map(([s, c]) => `${s}x${c}`).join(" ");
  console.log(
    `  ${label.padEnd(30)} ${fmt(r.perSecond).padStart(9)} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   load ${Math.round(r.loadCpu * 100)}% of a core   (${statuses})`,
  );
}

/** The run with the median rate of several. */
const medianRun = (runs: LoadResult[]) =>
  [...runs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(runs.length / 2)] as LoadResult;

async function httpBench(seconds: number, connections: number, reps: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-http-"));
  const token = randomBytes(16).toString("hex");
  const body = (i: number) => JSON.stringify(plain(i));
  try {
    const bareServer = await forkRawServer();
    const rawServer = await forkRawServer(path.join(dir, "raw.db"));
    const layerServer = await forkServer("./_router-http-server.js", [token]);
    const steward = await startSteward(dir, token);
    const headers = { authorization: `Bearer ${token}` };
    const load = (port: number, s: number) =>
      postLoad({ port, path: "/emails", connections, seconds: s, headers, body });
    const servers = [bareServer, rawServer, layerServer];
    for (const port of [...servers.map((s) => s.port), steward.port]) await load(port, 1);
    // Interleaved, so that all four see the same share of a busy machine.
    const bares: LoadResult[] = [];
    const raws: LoadResult[] = [];
    const layers: LoadResult[] = [];
    const ourRuns: LoadResult[] = [];
    for (let r = 0; r < reps; r += 1) {
      bares.push(await load(bareServer.port, seconds));
      raws.push(await load(rawServer.port, seconds));
      layers.push(await load(layerServer.port, seconds));
      ourRuns.push(await load(steward.port, seconds));
    }
    for (const server of servers) server.child.disconnect();
    await steward.stop();
    const bare = medianRun(bares);
    const raw = medianRun(raws);
    const layer = medianRun(layers);
    const ours = medianRun(ourRuns);
    console.log(
      `HTTP POST /emails, ${connections} keep-alive connections, ${seconds} s a run, median of ${reps} (SQLite)`,
    );
    httpLine("bare node:http, stores nothing", bare);
    httpLine("raw node:http + insert", raw);
    httpLine("steward's HTTP layer, no store", layer);
    httpLine("steward", ours);
    console.log(
      `  ratio ${(ours.perSecond / raw.perSecond).toFixed(2)} of raw, ${(ours.perSecond / bare.perSecond).toFixed(2)} of bare node:http`,
    );
    const db = new Sqlite(path.join(dir, "data", "steward.db"), { readonly: true });
    const found = db.prepare("select 1 from email_jobs where id = ?");
    const ids = ourRuns.flatMap((run) => run.ids);
    const missing = ids.filter((id) => found.get(id) === undefined).length;
    db.close();
    console.log(`  every 202 durable: ${missing === 0 ? "yes" : "NO"} (${ids.length} ids, ${missing} missing)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<void> {
  const n = Number(option(args, "--n") ?? 20_000);
  const reps = Number(option(args, "--reps") ?? 3);
  const seconds = Number(option(args, "--seconds") ?? 5);
  // Each PostgreSQL enqueue on its own waits for a WAL flush: a few thousand tell the rate.
  const nOne = Number(option(args, "--pg-one") ?? 3000);
  const only = (option(args, "--only") ?? "sqlite,pg,http").split(",");
  const pgUrl = option(args, "--pg") ?? process.env.TEST_DATABASE_URL;
  console.log(
    `enqueue: ${fmt(n)} jobs per figure, median of ${reps}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  if (only.includes("sqlite")) {
    const rates: Rates = {};
    for (let r = 0; r < reps; r += 1) await sqliteRep(n, rates);
    console.log("SQLite (host app's better-sqlite3 handle)");
    line("one by one (enqueueEmailSync)", rates.one, rates["raw one"]);
    line("bulk 1,000 (enqueueEmailsSync)", rates.bulk, rates["raw bulk"]);
    line("bulk 1,000, templated", rates["bulk templated"], rates["raw bulk"]);
    console.log("  the same row into email_jobs, validated beforehand (the table's ceiling):");
    line("  one by one, prepared INSERT", rates["table one"], rates["raw one"]);
    line("  1,000-row INSERT", rates["table bulk"], rates["raw bulk"]);
  }
  if (only.includes("pg")) {
    if (!pgUrl) console.log("PostgreSQL: skipped (no --pg URL or TEST_DATABASE_URL)");
    else {
      const rates: Rates = {};
      for (let r = 0; r < reps; r += 1) await pgRep(pgUrl, n, nOne, rates);
      console.log(`PostgreSQL (host app's pg.Pool; one by one: ${fmt(nOne)} jobs)`);
      line("one by one (enqueueEmail)", rates.one, rates["raw one"]);
      line("bulk 1,000 (enqueueEmails)", rates.bulk, rates["raw bulk"]);
    }
  }
  if (only.includes("http")) await httpBench(seconds, 32, reps);
}
