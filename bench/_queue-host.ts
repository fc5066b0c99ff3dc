/**
 * The worker side of the queue benchmarks: Steward's host (createApp) with the email service
 * alone, as `steward start` assembles it, and a transport that hands each message's payload to
 * the benchmark and succeeds. Only the transport is the benchmark's: claiming, lease renewal,
 * the batched settle, the wake-ups (in-process, NOTIFY, and whatever else the service listens
 * to for other processes' commits) and the maintenance counts are the production code, so a
 * change there shows in the figures without touching this file.
 *
 * "Done" means durably `sent`: the service reports an attempt before its outcome is written
 * (OutcomeWriter batches them), so each sent job is held until a read on a connection of our
 * own counts it `sent`, i.e. after the settle transaction committed.
 */
import os from "node:os";
import path from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { type App, createApp } from "../src/app.js";
import { loadConfig } from "../src/config/load.js";
import { createLogger } from "../src/core/logger.js";
import { createMetrics } from "../src/core/metrics.js";
import { emailServiceDefinition } from "../src/services/email/index.js";
import type { OutgoingMessage } from "../src/services/email/send/message.js";
import type { EmailTransport } from "../src/services/email/send/transports/transport.js";

export type Variant = "sqlite" | "pg";

export interface QueueTarget {
  variant: Variant;
  /** SQLite: the database file; PostgreSQL: the URL. */
  database: string;
  /** Where the host keeps its files (DATA_DIR). */
  dir: string;
}

export interface WorkerHooks {
  /** The handler started, with the enqueued payload (the message's text, JSON). */
  onStart(payload: unknown): void;
  /** `n` more jobs are durably `sent`. */
  onDone(n: number): void;
}

export interface RunningWorker {
  /** Host start-up time in ms (listen, migration check, instance row, services). */
  readonly startMs: number;
  /** Where its POST /emails listens (0: none). */
  readonly port: number;
  /** Attempts that did not end `sent` (there should be none). */
  readonly unexpected: string[];
  stop(): Promise<void>;
}

/** The harness's message shape: the payload travels as the text body. */
export const subjectLine = "welcome";

/**
 * Reads how many jobs are `sent`, on a connection of its own: the `email.sent` counter, which
 * the triggers of the status change keep in the same transaction (store/counts.ts), so it
 * moves only when a settle commits. With the phases' reset (bench/peer-adapter.ts) the only SQL
 * of the benchmarks that names the queue's tables: mend both when the schema changes
 * (test/integration/peer-adapter.test.ts will say so). It once read back the ids of the jobs
 * reported sent, up to 5,000 of them every 5 ms: a fifth of the main thread's time in a drain,
 * spent by the benchmark beside the work it watched.
 */
export interface SentReader {
  sentCount(): Promise<number>;
  close(): Promise<void>;
}

const SENT_COUNT = "select coalesce(sum(n), 0) as n from counters where name = 'email.sent'";

export function openSentReader(target: QueueTarget): SentReader {
  if (target.variant === "sqlite") {
    const db = new Sqlite(target.database, { readonly: true });
    const query = db.prepare(SENT_COUNT).pluck(true);
    return {
      sentCount: async () => Number(query.get()),
      close: async () => void db.close(),
    };
  }
  const client = new pg.Client({ connectionString: target.database, application_name: "steward bench reader" });
  const connected = client.connect();
  // Opened ahead of its first read (peer-adapter.ts): a failed connect is reported there, not
  // as an unhandled rejection in between.
  connected.catch(() => {});
  return {
    sentCount: async () => {
      await connected;
      const { rows } = await client.query<{ n: string }>(SENT_COUNT);
      return Number(rows[0]?.n ?? 0);
    },
    close: () => client.end(),
  };
}

/**
 * Confirms the jobs reported sent as the count of sent jobs grows past where it stood at the
 * start (the phases' reset on PostgreSQL is a TRUNCATE, which leaves the counters as they
 * were): every 5 ms under a stream of sends (a drain), every 20 ms for a trickle. A job is
 * confirmed only once it has been reported and the count holds it.
 */
function confirmer(reader: SentReader, onDone: (n: number) => void) {
  let reported = 0;
  let confirmed = 0;
  const base = reader.sentCount();
  let loop: Promise<void> | undefined;
  const run = async () => {
    const from = await base;
    while (confirmed < reported) {
      await new Promise((r) => setTimeout(r, reported - confirmed >= 50 ? 5 : 20));
      const durable = Math.min((await reader.sentCount()) - from, reported);
      if (durable > confirmed) {
        onDone(durable - confirmed);
        confirmed = durable;
      }
    }
    loop = undefined;
  };
  return {
    add() {
      reported += 1;
      loop ??= run();
    },
    /** Resolves once every job handed in is confirmed (or `ms` passed). */
    async settled(ms: number) {
      const until = Date.now() + ms;
      // Raced with the time left: the loop itself runs until every job is confirmed, which a
      // job whose count never arrives would make forever.
      while (confirmed < reported && Date.now() < until) {
        let timer: NodeJS.Timeout | undefined;
        const left = new Promise((r) => {
          timer = setTimeout(r, Math.max(1, until - Date.now()));
        });
        await Promise.race([loop ?? new Promise((r) => setTimeout(r, 5)), left]);
        clearTimeout(timer);
      }
    },
    get waiting() {
      return reported - confirmed;
    },
    /** Resolves once the count at the start is read: before any send, or a settle would be in it. */
    started: base.then(() => {}),
  };
}

function benchTransport(onStart: (payload: unknown) => void): EmailTransport {
  return {
    kind: "bench",
    send: async (message: OutgoingMessage) => {
      onStart(JSON.parse(String(message.mail.text)));
      return { accepted: [String(message.mail.to)], refusals: [] };
    },
    close: async () => {},
  };
}

/** The host's settings: the defaults, EMAIL_QUEUE_WORKERS as asked, nothing else hosted. */
function hostEnv(target: QueueTarget, workers: number): Record<string, string> {
  return {
    DATABASE_URL: target.database,
    DATA_DIR: target.dir,
    STATUS_PORT: "0",
    LOG_LEVEL: "warn",
    EMAIL_QUEUE_WORKERS: String(workers),
  };
}

export function createBenchApp(target: QueueTarget, workers: number, transport: () => EmailTransport): App {
  const { config } = loadConfig(hostEnv(target, workers), {
    cwd: target.dir,
    isTTY: false,
    hostname: os.hostname(),
    pid: process.pid,
  });
  const logger = createLogger({ level: config.log.level, format: "json", secrets: config.secrets, fd: 2 });
  return createApp({
    config,
    logger,
    definitions: [emailServiceDefinition({ transport })],
    hostname: os.hostname(),
    pid: process.pid,
    metrics: createMetrics({ processMetrics: false }),
  });
}

/**
 * Starts a host whose email workers (`workers` in flight) run every due job. `reader` is one the
 * caller opened before its timing began, and stays the caller's to close; without one, one is
 * opened here and closed at stop.
 */
export async function startWorker(
  target: QueueTarget,
  workers: number,
  hooks: WorkerHooks,
  onApp?: (app: App) => void,
  reader?: SentReader,
): Promise<RunningWorker> {
  const sent = reader ?? openSentReader(target);
  const confirm = confirmer(sent, hooks.onDone);
  const unexpected: string[] = [];
  const app = createBenchApp(target, workers, () => benchTransport(hooks.onStart));
  const off = app.events.on("email:attempt", (event) => {
    if (event.outcome === "sent") confirm.add();
    else unexpected.push(`${event.jobId}: ${event.outcome} ${event.error ?? ""}`);
  });
  onApp?.(app);
  await confirm.started;
  const started = performance.now();
  await app.start();
  const startMs = performance.now() - started;
  return {
    startMs,
    port: app.port,
    unexpected,
    async stop() {
      await confirm.settled(10_000);
      off();
      await app.stop();
      if (!reader) await sent.close();
      if (confirm.waiting > 0) throw new Error(`${confirm.waiting} jobs reported sent were never seen sent`);
    },
  };
}

export const dbFile = (dir: string) => path.join(dir, "steward.db");
