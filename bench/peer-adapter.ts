/**
 * Steward as a system of the peer harness (../shared/peerbench, see its README's adapter
 * interface), compiled to dist/bench/peer-adapter.js, which the harness prefers over its own
 * fallback. The enqueue side is a host app: its own handle on the database (a plain
 * better-sqlite3 Database, or a pg Pool of 10) and the public API of the package entry
 * (src/index.ts): enqueueEmailSync / enqueueEmail one job at a time, each returning once its
 * commit is done, and enqueueEmails for a chunk. The worker side is Steward's host with the
 * email service (bench/_queue-host.ts): the real WorkerPool behind the real service, a
 * transport that calls onStart and succeeds, onDone once the job is seen `sent` after its
 * settle committed.
 *
 * `wake: true`: the host app shares the worker's process and passes the host's wake hub
 * (`{ wake }`, part of the public options), as Steward's own HTTP and scheduler enqueues do.
 * `wake: false`: the workers run in a child process, so only the way production notices
 * another process's commit (NOTIFY on PostgreSQL; on SQLite whatever the service watches,
 * else the poll) brings a job to them.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import type { WakeHub } from "../src/core/wake.js";
import { migrate } from "../src/db/migrate.js";
import { openDatabase } from "../src/db/open.js";
import { type EmailInput, enqueueEmail, enqueueEmailSync, enqueueEmails } from "../src/index.js";
import { openSentReader, type QueueTarget, type Variant } from "./_queue-host.js";
import { childRunner, localRunner, type QueueKind, type Runner } from "./_queue-runner.js";
import { rawStore } from "./_raw-queue.js";
import { monotonicMs } from "./_sink.js";

export interface PeerOptions {
  variant?: Variant;
  /** Folder for the SQLite file (and the host's DATA_DIR). */
  dir?: string;
  /** False: the enqueuing process is not the worker process. */
  wake?: boolean;
  /** PostgreSQL URL (variant "pg"). */
  pgUrl?: string;
}

export interface PeerWorker {
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export interface PeerQueue {
  name: string;
  reset(): Promise<void>;
  enqueueOne(data: unknown): Promise<void>;
  enqueueBulk(datas: unknown[]): Promise<void>;
  startWorker(options: {
    concurrency: number;
    onStart(data: unknown): void;
    onDone(): void;
    pollMs?: number;
  }): Promise<PeerWorker>;
  close(): Promise<void>;
  /** The last startWorker's host start-up, in ms (inside the harness's drain timing). */
  readonly lastStartMs: number;
}

type Payload = { to?: string; t?: number } & Record<string, unknown>;

const toInput = (data: unknown): EmailInput => ({
  to: String((data as Payload).to ?? "reader@example.com"),
  subject: "welcome",
  text: JSON.stringify(data),
});

/** The host app's side: its handle, and how it empties the queue between phases. */
interface HostHandle {
  enqueueOne(input: EmailInput, wake: WakeHub | undefined): Promise<void>;
  enqueueMany(inputs: EmailInput[], wake: WakeHub | undefined): Promise<void>;
  reset(): Promise<void>;
  close(): Promise<void>;
  label: string;
}

async function sqliteHost(file: string): Promise<HostHandle> {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  const steward = openDatabase({ dialect: "sqlite", file });
  await migrate(steward);
  await steward.close();
  // A host app's plain handle: no pragmas of its own (the file is in WAL mode, so better-sqlite3
  // runs it at synchronous=NORMAL).
  const db = new Sqlite(file);
  const sync = db.pragma("synchronous", { simple: true });
  return {
    label: `sqlite, host handle synchronous=${sync === 1 ? "NORMAL" : sync}`,
    enqueueOne: async (input, wake) => void enqueueEmailSync(db, input, { wake }),
    enqueueMany: async (inputs, wake) => void (await enqueueEmails(db, inputs, { wake })),
    reset: async () => {
      db.exec("delete from email_jobs");
      db.pragma("wal_checkpoint(TRUNCATE)");
    },
    close: async () => void db.close(),
  };
}

async function pgHost(url: string): Promise<HostHandle> {
  const steward = openDatabase({ dialect: "pg", url });
  await migrate(steward);
  await steward.close();
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  return {
    label: "pg",
    enqueueOne: async (input, wake) => void (await enqueueEmail(pool, input, { wake })),
    enqueueMany: async (inputs, wake) => void (await enqueueEmails(pool, inputs, { wake })),
    reset: async () => void (await pool.query("truncate email_jobs")),
    close: () => pool.end(),
  };
}

async function rawHost(target: QueueTarget): Promise<HostHandle> {
  const store = rawStore(target);
  return {
    label: target.variant === "sqlite" ? "raw better-sqlite3 queue, WAL, synchronous=NORMAL" : "raw pg queue",
    enqueueOne: async (input) => void (await store.insert(String(input.text))),
    enqueueMany: (inputs) => store.insertMany(inputs.map((i) => String(i.text))),
    reset: () => store.reset(),
    close: () => store.close(),
  };
}

function resolveTarget(options: PeerOptions, file: string): QueueTarget {
  const variant = options.variant ?? "sqlite";
  const dir = path.resolve(options.dir ?? "data");
  fs.mkdirSync(dir, { recursive: true });
  if (variant === "sqlite") return { variant, database: path.join(dir, file), dir };
  if (variant !== "pg") throw new Error(`peer-adapter: unknown variant ${String(variant)}`);
  if (!options.pgUrl) throw new Error("peer-adapter: variant pg needs pgUrl");
  return { variant, database: options.pgUrl, dir };
}

/** Steward, as the harness runs it. */
export async function make(options: PeerOptions = {}): Promise<PeerQueue> {
  const target = resolveTarget(options, "steward-queue.db");
  const host = target.variant === "sqlite" ? await sqliteHost(target.database) : await pgHost(target.database);
  return queueOf("steward", host, target, options.wake ?? true);
}

/** The raw baseline (bench/_raw-queue.ts) behind the same interface, for `npm run bench -- queue`. */
export async function makeRaw(options: PeerOptions = {}): Promise<PeerQueue> {
  const target = resolveTarget(options, "raw-queue.db");
  if (target.variant === "sqlite")
    for (const f of ["", "-wal", "-shm"]) fs.rmSync(target.database + f, { force: true });
  return queueOf("raw", await rawHost(target), target, options.wake ?? true);
}

async function queueOf(kind: QueueKind, host: HostHandle, target: QueueTarget, wake: boolean): Promise<PeerQueue> {
  // Steward's confirmations read the database on a connection of the benchmark's own, opened
  // here because the harness times startWorker: on PostgreSQL its connection and first read took
  // some 18 ms of a drain's 900-1,000 (2026-12-03), which is the benchmark's cost, not the queue's.
  // (The child that runs the workers for wake: false opens its own when it starts them.)
  const reader = kind === "steward" && wake ? openSentReader(target) : undefined;
  const runner: Runner = wake ? localRunner(reader) : await childRunner();
  // The in-process host's wake hub while its workers run (Steward, wake: true only).
  let hub: WakeHub | undefined;
  let lastStartMs = 0;
  const startMs: number[] = [];

  return {
    name: `${kind} (${host.label}${wake ? "" : ", enqueue in another process"})`,
    get lastStartMs() {
      return lastStartMs;
    },
    reset: () => host.reset(),
    enqueueOne: (data) => host.enqueueOne(toInput(data), hub),
    enqueueBulk: (datas) => host.enqueueMany(datas.map(toInput), hub),
    async startWorker({ concurrency, onStart, onDone }) {
      const started = await runner.start(
        { kind, target, workers: concurrency },
        {
          // The harness measures `now() - data.t` when onStart is called: a handler start
          // reported from another process is moved back by the report's travel time.
          onStart: (payload, at) => {
            const p = payload as Payload;
            const travel = monotonicMs() - at;
            onStart(typeof p.t === "number" && travel > 0 ? { ...p, t: p.t + travel } : p);
          },
          onDone: (n) => {
            for (let k = 0; k < n; k += 1) onDone();
          },
        },
        wake ? (app) => (hub = app.wake) : undefined,
      );
      lastStartMs = started.startMs;
      startMs.push(Math.round(started.startMs));
      return {
        settle: async () => {}, // onDone fires only once the outcome is committed
        stop: async () => {
          hub = undefined;
          await runner.stop();
        },
      };
    },
    async close() {
      await runner.close();
      await reader?.close();
      await host.close();
      if (kind === "steward") {
        // The harness times a drain from before startWorker: say how much of it was the host's start.
        if (startMs.length > 0) process.stderr.write(`peer-adapter: host start-up ${startMs.join(", ")} ms\n`);
        // The harness prints no load average, and a figure means little without the machine's load.
        const load = os.loadavg().map((n) => n.toFixed(2));
        process.stderr.write(`peer-adapter: load average ${load.join(" ")} on ${os.availableParallelism()} cores\n`);
      }
    },
  };
}

export default make;
