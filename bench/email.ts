/**
 * `npm run bench -- email [--pg URL] [--workers N] [--only a|b|c] [--threads N] [--rounds N] [--body-bytes N]`: the email queue's figures, each beside
 * the baseline the issue names, measured in the same run.
 *  (a) queue overhead with a transport that does nothing: 20,000 jobs enqueued one by one
 *      and in bulk, each set then drained (SQLite; PostgreSQL too with --pg or TEST_DATABASE_URL),
 *      with HTML parts padded to --body-bytes (default: a line, as the peer harness's jobs);
 *  (b) 3,000 messages through the whole path (claim, build, pooled SMTP, record) to a local
 *      smtp-server, beside nodemailer's pool sending the same messages straight to the same
 *      sink with the same number of connections (the ceiling), and the ratio; then the same with
 *      EMAIL_SEND_THREADS=2 beside two nodemailer pools in two threads sharing those connections;
 *  (c) enqueue-to-accepted latency at a steady 200 messages/s, p50 and p99.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import nodemailer from "nodemailer";
import pg from "pg";
import { systemClock } from "../src/core/clock.js";
import { uuidv7 } from "../src/core/ids.js";
import { createLogger } from "../src/core/logger.js";
import { WakeHub } from "../src/core/wake.js";
import { migrate } from "../src/db/migrate.js";
import { type Database, openDatabase } from "../src/db/open.js";
import { enqueueEmail, enqueueEmails } from "../src/services/email/enqueue/enqueue.js";
import { EMAIL_WAKE } from "../src/services/email/enqueue/insert.js";
import { TemplateRenderer } from "../src/services/email/enqueue/templates.js";
import type { EmailInput } from "../src/services/email/enqueue/validate.js";
import { CircuitBreaker } from "../src/services/email/send/circuit-breaker.js";
import { composerFor } from "../src/services/email/send/compose/compose-thread.js";
import { RateLimiter } from "../src/services/email/send/rate-limiter.js";
import { sharePool, ThreadTransport } from "../src/services/email/send/threads/thread-transport.js";
import { smtpPoolOptions, smtpTransport } from "../src/services/email/send/transports/smtp.js";
import type { EmailTransport } from "../src/services/email/send/transports/transport.js";
import { type WorkerDeps, WorkerPool } from "../src/services/email/send/worker-pool.js";
import { createEmailStore } from "../src/services/email/store/create.js";
import type { EmailStore } from "../src/services/email/store.js";
import { monotonicMs, startSink } from "./_sink.js";

const logger = createLogger({ level: "silent", format: "json", secrets: [] });
const DOMAIN = "bench.steward.test";
const POOL_SIZE = 5;
/** Rounds of the SMTP comparison (--rounds); each round's two sides are compared, then the medians. */
const ROUNDS = 5;

const message = (i: number, htmlBytes = 0): EmailInput => {
  const html = `<p>Hello reader ${i},</p><p>This is message <b>${i}</b> of the benchmark.</p>`;
  return {
    to: [`reader${i}@example.com`],
    subject: `Benchmark message ${i}`,
    text: `Hello reader ${i},\n\nThis is message ${i} of the benchmark.\n`,
    html: html + FILLER.repeat(Math.max(0, Math.ceil((htmlBytes - html.length) / FILLER.length))),
  };
};
/** What pads the HTML part to --body-bytes: a real newsletter's is tens of kilobytes, and the row holding it is rewritten by each claim and settle. */
const FILLER = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.</p>\n";

const nullTransport: EmailTransport = {
  kind: "null",
  send: async (m) => ({ accepted: [String(m.mail.to)], refusals: [] }),
  close: async () => {},
};

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function settings(workers: number): WorkerDeps["settings"] {
  return {
    workers,
    leaseMs: 60_000,
    pollIntervalMs: 500,
    retryDelaysMs: [1000, 2000, 4000, 8000, 16000],
    maxAttempts: 5,
    maxAgeMs: 0,
    random: Math.random,
    messageIdDomain: DOMAIN,
    from: "Bench <bench@bench.steward.test>",
    templates: new TemplateRenderer(),
    maxBytes: 10 * 1024 * 1024,
  };
}

/** The store as the email service makes it (on SQLite, claims and outcomes on their own thread): one per database, closed by its drop(). */
const stores = new WeakMap<Database, EmailStore>();

function storeOf(db: Database): EmailStore {
  let store = stores.get(db);
  if (!store) {
    store = createEmailStore(db, { claimThread: true });
    stores.set(db, store);
  }
  return store;
}

function pool(db: Database, transport: EmailTransport, workers: number): WorkerPool {
  return new WorkerPool({
    store: storeOf(db),
    transport,
    clock: systemClock,
    logger,
    holder: `bench/${randomBytes(4).toString("hex")}`,
    settings: settings(workers),
    limiter: new RateLimiter(0, systemClock),
    breaker: new CircuitBreaker({ clock: systemClock }),
    paused: async () => false,
  });
}

async function freshDb(
  dialect: "sqlite" | "pg",
  pgUrl: string | undefined,
): Promise<{ db: Database; drop(): Promise<void> }> {
  if (dialect === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-bench-"));
    // As the long-running process opens it (src/app.ts).
    const db = openDatabase({ dialect: "sqlite", file: path.join(dir, "steward.db") }, { backgroundCheckpoint: true });
    await migrate(db);
    const drop = async () => {
      await stores.get(db)?.close();
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    };
    return { db, drop };
  }
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const url = new URL(pgUrl as string);
  url.searchParams.set("options", `-c search_path=${schema}`);
  const db = openDatabase({ dialect: "pg", url: url.toString() }, { poolSize: 10 });
  await migrate(db);
  return {
    db,
    drop: async () => {
      await db.close();
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    },
  };
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const fmt = (n: number) => n.toLocaleString("en-US");

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

async function overhead(
  dialect: "sqlite" | "pg",
  pgUrl: string | undefined,
  workers: number,
  htmlBytes: number,
): Promise<void> {
  const n = 20_000;
  const inputs = Array.from({ length: n }, (_, i) => message(i, htmlBytes));
  const { db, drop } = await freshDb(dialect, pgUrl);
  try {
    // Warm-up, not measured: the JIT compiles the enqueue, claim and record paths first.
    for (const input of inputs.slice(0, 500))
      await enqueueEmail(db.sql, input, { now: new Date(), messageIdDomain: DOMAIN });
    await enqueueEmails(db.sql, inputs.slice(0, 2000), { now: new Date(), messageIdDomain: DOMAIN });
    await pool(db, nullTransport, workers).drain();
    const one = await timed(async () => {
      for (const input of inputs) await enqueueEmail(db.sql, input, { now: new Date(), messageIdDomain: DOMAIN });
    });
    const drainOne = await timed(() => pool(db, nullTransport, workers).drain());
    const bulk = await timed(() => enqueueEmails(db.sql, inputs, { now: new Date(), messageIdDomain: DOMAIN }));
    const drainBulk = await timed(() => pool(db, nullTransport, workers).drain());
    if (drainOne.value.sent !== n || drainBulk.value.sent !== n) throw new Error("the drains did not send every job");
    console.log(
      `  ${dialect.padEnd(6)} enqueue one by one ${fmt(rate(n, one.ms)).padStart(7)} jobs/s   drain ${fmt(rate(n, drainOne.ms)).padStart(7)} jobs/s`,
    );
    console.log(
      `  ${"".padEnd(6)} enqueue in bulk    ${fmt(rate(n, bulk.ms)).padStart(7)} jobs/s   drain ${fmt(rate(n, drainBulk.ms)).padStart(7)} jobs/s`,
    );
  } finally {
    await drop();
  }
}

const FROM = "Bench <bench@bench.steward.test>";

/**
 * The queue's messages as a host app would hand them to nodemailer. Their Message-IDs are
 * UUIDv7s like the queue's (a short `<tag-i@...>` made every ceiling message some 25 bytes
 * shorter than the queue's).
 */
function ceilingMails(n: number) {
  return Array.from({ length: n }, (_, i) => {
    const m = message(i);
    return {
      from: FROM,
      to: m.to,
      subject: m.subject,
      text: m.text,
      html: m.html,
      messageId: `<${uuidv7()}@${DOMAIN}>`,
    };
  });
}

/** A rate, and the CPU time of the whole process (every thread) per message. */
interface Measured {
  rate: number;
  cpuUs: number;
}

async function measured(n: number, fn: () => Promise<unknown>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const { ms } = await timed(fn);
  const used = process.cpuUsage(cpu);
  return { rate: rate(n, ms), cpuUs: Math.round((used.user + used.system) / n) };
}

/** nodemailer's pool alone, every message handed to it at once: as fast as the sink and the pool go. */
async function ceiling(port: number, n: number): Promise<Measured> {
  const transporter = nodemailer.createTransport(smtpPoolOptions(smtpSettings(port)));
  const mails = ceilingMails(n);
  const result = await measured(n, () => Promise.all(mails.map((mail) => transporter.sendMail(mail))));
  transporter.close();
  return result;
}

/**
 * The same with `threads` worker threads, each a nodemailer pool with its share of the same
 * connections (sharePool, as EMAIL_SEND_THREADS shares SMTP_POOL_SIZE), sending its part of the
 * messages straight to the sink. The threads and their pools live for the whole benchmark, like
 * the queue's sender threads; the clock starts once every thread holds its messages.
 */
function threadedCeiling(port: number, threads: number) {
  const workers = sharePool(POOL_SIZE, threads).map(
    (poolSize) =>
      new Worker(new URL("./_ceiling-thread.js", import.meta.url), {
        workerData: { smtp: { ...smtpSettings(port), poolSize } },
      }),
  );
  const next = (w: Worker, request: object, answer: string) =>
    new Promise<void>((resolve) => {
      const on = (m: unknown) => {
        if (m !== answer) return;
        w.off("message", on);
        resolve();
      };
      w.on("message", on);
      w.postMessage(request);
    });
  return {
    async run(n: number): Promise<Measured> {
      const mails = ceilingMails(n);
      await Promise.all(
        workers.map((w, t) => next(w, { op: "load", mails: mails.filter((_, i) => i % threads === t) }, "loaded")),
      );
      return measured(n, () => Promise.all(workers.map((w) => next(w, { op: "go" }, "done"))));
    },
    close: () => Promise.all(workers.map((w) => w.terminate())),
  };
}

/** The queue's whole path: claim from SQLite, build, send through the pool, record the outcome. */
async function queuePath(db: Database, n: number, workers: number, transport: EmailTransport): Promise<Measured> {
  await enqueueEmails(
    db.sql,
    Array.from({ length: n }, (_, i) => message(i)),
    { now: new Date(), messageIdDomain: DOMAIN },
  );
  let sent = 0;
  const result = await measured(n, async () => {
    sent = (await pool(db, transport, workers).drain()).sent;
  });
  if (sent !== n) throw new Error(`sent ${sent} of ${n}`);
  return result;
}

/** The pool on the main thread, as EMAIL_SEND_THREADS=1 runs it: a new pool each round, as the ceiling opens one. */
async function queueInThread(db: Database, port: number, n: number, workers: number): Promise<Measured> {
  // The composer outlives the round's pool, as it would the pool's reconnections in the service.
  const transport = smtpTransport(smtpSettings(port), {
    compose: (mail) => composer.compose(mail),
    close: async () => {},
  });
  try {
    return await queuePath(db, n, workers, transport);
  } finally {
    await transport.close();
  }
}

/** The composer of the queue's own pool (src/services/email/send/transports/create.ts), kept across rounds as the service keeps it. */
const composer = composerFor();

async function senderThreads(port: number, threads: number): Promise<ThreadTransport> {
  const threaded = new ThreadTransport({
    threads,
    smtp: smtpSettings(port),
    from: FROM,
    templatesDir: new TemplateRenderer().dir,
    maxBytes: 10 * 1024 * 1024,
    logger,
  });
  await threaded.ready();
  return threaded;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

function smtpSettings(port: number) {
  return {
    host: "127.0.0.1",
    port,
    secure: false,
    user: undefined,
    password: undefined,
    poolSize: POOL_SIZE,
    timeoutMs: 30_000,
  };
}

/**
 * Every path is warmed up first (the JIT and the connections), then measured in turns, round
 * after round, so a burst of load from elsewhere on the machine does not land on one side only;
 * the medians are compared. With `threads` > 1 the queue (EMAIL_SEND_THREADS) and the ceiling
 * (as many nodemailer pools in as many threads) are measured too.
 */
async function throughput(workers: number, threads: number, rounds: number): Promise<void> {
  const n = 3_000;
  const sink = await startSink();
  const { db, drop } = await freshDb("sqlite", undefined);
  const threaded = threads > 1 ? await senderThreads(sink.port, threads) : undefined;
  const topThreads = threads > 1 ? threadedCeiling(sink.port, threads) : undefined;
  const paths: Array<{ label: string; run: () => Promise<Measured> }> = [
    { label: "ceiling (nodemailer pool straight to sink)", run: () => ceiling(sink.port, n) },
    { label: "queue (claim, build, pooled SMTP, record)", run: () => queueInThread(db, sink.port, n, workers) },
  ];
  if (threaded && topThreads) {
    paths.push(
      {
        label: `ceiling, ${threads} threads (a pool in each)`,
        run: () => topThreads.run(n),
      },
      { label: `queue, EMAIL_SEND_THREADS=${threads}`, run: () => queuePath(db, n, workers, threaded) },
    );
  }
  try {
    await ceiling(sink.port, 500);
    await queueInThread(db, sink.port, 500, workers);
    if (threaded && topThreads) {
      await topThreads.run(1000);
      await queuePath(db, 1000, workers, threaded);
    }
    const results = paths.map(() => [] as Measured[]);
    for (let round = 1; round <= rounds; round += 1) {
      for (const [i, path] of paths.entries()) results[i]?.push(await path.run());
    }
    const rates = results.map((r) => median(r.map((m) => m.rate)));
    for (const [i, path] of paths.entries()) {
      const r = results[i] as Measured[];
      const list = r.map((m) => fmt(m.rate)).join(", ");
      console.log(
        `  ${path.label.padEnd(44)} ${fmt(rates[i] as number).padStart(6)} msgs/s  ${String(median(r.map((m) => m.cpuUs))).padStart(5)} µs CPU/msg  (rounds: ${list})`,
      );
    }
    // Each round's two sides ran back to back, under nearly the same load from elsewhere on the
    // machine; the median of those paired ratios moves less than the ratio of the two medians,
    // which can pair a quiet round on one side with a busy one on the other.
    const ratio = (a: number, b: number) => {
      const paired = (results[a] as Measured[]).map(
        (m, k) => m.rate / ((results[b] as Measured[])[k] as Measured).rate,
      );
      const spread = `${Math.min(...paired).toFixed(2)}-${Math.max(...paired).toFixed(2)}`;
      return `${median(paired).toFixed(2)} (rounds ${spread}; ratio of the medians ${((rates[a] as number) / (rates[b] as number)).toFixed(2)})`;
    };
    console.log(`  queue / ceiling                              ${ratio(1, 0)}   (aim: >= 0.95)`);
    if (threads > 1) {
      console.log(`  queue, ${threads} threads / ceiling, ${threads} threads        ${ratio(3, 2)}`);
      console.log(
        `  queue, ${threads} threads / single-thread ceiling    ${ratio(3, 0)}   (aim: > 1 where there are cores)`,
      );
    }
  } finally {
    await threaded?.close();
    await topThreads?.close();
    await composer.close();
    await sink.close();
    await drop();
  }
}

/**
 * Enqueue-to-accepted at a steady rate, through the in-process wake-up. smtp-server holds
 * its greeting 100 ms on every new connection (to catch clients that talk too early), so a
 * message that waits for a new connection is slow for the sink's sake; those are counted
 * and the others shown apart as well.
 */
async function latency(workers: number): Promise<void> {
  const perSecond = 200;
  const seconds = 10;
  const sink = await startSink();
  const { db, drop } = await freshDb("sqlite", undefined);
  const transport = smtpTransport(smtpSettings(sink.port));
  const running = pool(db, transport, workers);
  const wake = new WakeHub();
  const unsubscribe = wake.on(EMAIL_WAKE, () => running.wake());
  running.start();
  try {
    await paced(db, wake, 50, perSecond, async () => (await sink.count()) >= 50); // warm-up: the JIT and the first connections
    const { enqueuedAt } = await paced(
      db,
      wake,
      perSecond * seconds,
      perSecond,
      async () => (await sink.count()) >= 50 + perSecond * seconds,
    );
    const { accepted, firstOnConnection } = await sink.report();
    const all = [...enqueuedAt].map(([id, t0]) => (accepted.get(id) ?? Number.NaN) - t0);
    const warm = [...enqueuedAt]
      .filter(([id]) => !firstOnConnection.has(id))
      .map(([id, t0]) => (accepted.get(id) ?? Number.NaN) - t0);
    const fresh = all.length - warm.length;
    console.log(
      `  ${fmt(all.length)} messages at ${perSecond}/s: p50 ${percentile(all, 0.5)} ms, p99 ${percentile(all, 0.99)} ms, max ${percentile(all, 1)} ms   (aim: p99 < 50 ms)`,
    );
    console.log(
      `  the ${fmt(warm.length)} sent on an open connection: p50 ${percentile(warm, 0.5)} ms, p99 ${percentile(warm, 0.99)} ms; ${fresh} waited for a new connection's greeting`,
    );
  } finally {
    unsubscribe();
    await running.stop(5_000);
    await transport.close();
    await sink.close();
    await drop();
  }
}

function percentile(values: number[], q: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN).toFixed(1);
}

/** Enqueues `total` messages one at a time at `perSecond`, then waits until `done`. */
async function paced(db: Database, wake: WakeHub, total: number, perSecond: number, done: () => Promise<boolean>) {
  const enqueuedAt = new Map<string, number>();
  const start = performance.now();
  for (let i = 0; i < total; i += 1) {
    const wait = start + (i * 1000) / perSecond - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = monotonicMs();
    const { id } = await enqueueEmail(db.sql, message(i), { now: new Date(), messageIdDomain: DOMAIN, wake });
    // The sink knows a message by its Message-ID, which enqueue made (a UUIDv7, not the job's id).
    const messageId = (await storeOf(db).get(id))?.messageId;
    if (!messageId) throw new Error(`job ${id} has no Message-ID`);
    enqueuedAt.set(messageId, t0);
  }
  while (!(await done())) await new Promise((r) => setTimeout(r, 20));
  return { enqueuedAt };
}

export async function run(args: string[]): Promise<void> {
  const pgUrl = option(args, "--pg") ?? process.env.TEST_DATABASE_URL;
  const workers = Number(option(args, "--workers") ?? 3);
  const htmlBytes = Number(option(args, "--body-bytes") ?? 0);
  if (!Number.isInteger(htmlBytes) || htmlBytes < 0) throw new Error("--body-bytes must be a whole number");
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
  console.log(
    `email queue benchmark (node ${process.version}, ${os.cpus().length} cores, load average ${load}, EMAIL_QUEUE_WORKERS=${workers}, SMTP_POOL_SIZE=${POOL_SIZE})`,
  );
  const only = option(args, "--only");
  if (!only || only === "a") {
    console.log(
      `\n(a) queue overhead, 20,000 jobs${htmlBytes > 0 ? ` with ${fmt(htmlBytes)}-byte HTML bodies` : ""}, transport that does nothing (aim: drain >= 20,000 jobs/s on SQLite)`,
    );
    await overhead("sqlite", undefined, workers, htmlBytes);
    if (pgUrl) await overhead("pg", pgUrl, workers, htmlBytes);
    else console.log("  pg     skipped (pass --pg URL or set TEST_DATABASE_URL)");
  }
  if (!only || only === "b") {
    // Two workers per connection, so a connection never waits for a worker to hand it the next message.
    const threads = Number(option(args, "--threads") ?? 2);
    const rounds = Number(option(args, "--rounds") ?? ROUNDS);
    console.log(
      `\n(b) 3,000 messages to a local smtp-server, ${POOL_SIZE} connections (shared by the threads), ${2 * POOL_SIZE} workers, ${rounds} rounds`,
    );
    await throughput(2 * POOL_SIZE, threads, rounds);
  }
  if (!only || only === "c") {
    console.log("\n(c) enqueue-to-accepted latency (in-process enqueue wakes a worker)");
    await latency(workers);
  }
}
