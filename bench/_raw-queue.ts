/**
 * The raw baselines of `npm run bench -- queue`: the least a durable queue can do on each
 * database, measured in the same run as Steward so the ratio says what Steward's extra work
 * costs. A row is (integer id, status, run_at, payload); a claim is one UPDATE of the next due
 * ids in one transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: FOR UPDATE SKIP LOCKED), the
 * finished ids are marked done in one UPDATE per loop turn, an idle worker polls every 10 ms.
 * SQLite runs WAL at synchronous=NORMAL, as Steward's own handle does. No validation, no
 * template, no lease, no retry: a floor, not a competitor.
 */
import http from "node:http";
import Sqlite from "better-sqlite3";
import pg from "pg";
import type { QueueTarget, RunningWorker, WorkerHooks } from "./_queue-host.js";

export const RAW_POLL_MS = 10;
const HOLD_PER_WORKER = 10;

interface RawStore {
  reset(): Promise<void>;
  insert(payload: string): Promise<number>;
  insertMany(payloads: string[]): Promise<void>;
  claim(limit: number): Promise<Array<{ id: number; payload: string }>>;
  complete(ids: number[]): Promise<void>;
  close(): Promise<void>;
}

function sqliteStore(file: string): RawStore {
  const db = new Sqlite(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(`create table if not exists raw_jobs (
      id integer primary key, status integer not null default 0, run_at integer not null, payload text not null);
    create index if not exists raw_jobs_due on raw_jobs (status, run_at)`);
  const insert = db.prepare("insert into raw_jobs (run_at, payload) values (?, ?)");
  const insertAll = db.transaction((payloads: string[], at: number) => {
    for (const p of payloads) insert.run(at, p);
  });
  const claim = db.prepare(
    `update raw_jobs set status = 1 where id in
       (select id from raw_jobs where status = 0 and run_at <= ? order by run_at limit ?) returning id, payload`,
  );
  const claimTx = db.transaction((limit: number) => claim.all(Date.now(), limit));
  const done = db.prepare("update raw_jobs set status = 2 where id in (select value from json_each(?))");
  return {
    reset: async () => {
      db.exec("delete from raw_jobs");
      db.pragma("wal_checkpoint(TRUNCATE)");
    },
    insert: async (payload) => Number(insert.run(Date.now(), payload).lastInsertRowid),
    insertMany: async (payloads) => insertAll.immediate(payloads, Date.now()),
    claim: async (limit) => claimTx.immediate(limit) as Array<{ id: number; payload: string }>,
    complete: async (ids) => void done.run(JSON.stringify(ids)),
    close: async () => void db.close(),
  };
}

function pgStore(url: string): RawStore {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const ready = pool.query(`create table if not exists raw_jobs (
      id bigserial primary key, status smallint not null default 0,
      run_at timestamptz not null default now(), payload text not null);
    create index if not exists raw_jobs_due on raw_jobs (status, run_at)`);
  const q = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    await ready;
    return pool.query<R>(text, values);
  };
  return {
    reset: async () => void (await q("truncate raw_jobs")),
    insert: async (payload) =>
      Number(
        (await q<{ id: string }>("insert into raw_jobs (payload) values ($1) returning id", [payload])).rows[0]?.id,
      ),
    insertMany: async (payloads) =>
      void (await q("insert into raw_jobs (payload) select unnest($1::text[])", [payloads])),
    claim: async (limit) =>
      (
        await q<{ id: string; payload: string }>(
          `update raw_jobs set status = 1 where id in
             (select id from raw_jobs where status = 0 and run_at <= now() order by run_at limit $1
              for update skip locked) returning id, payload`,
          [limit],
        )
      ).rows.map((r) => ({ id: Number(r.id), payload: r.payload })),
    complete: async (ids) => void (await q("update raw_jobs set status = 2 where id = any($1::bigint[])", [ids])),
    close: () => pool.end(),
  };
}

export function rawStore(target: QueueTarget): RawStore {
  return target.variant === "sqlite" ? sqliteStore(target.database) : pgStore(target.database);
}

/** The raw queue's file beside Steward's: the same folder, the same disk. */
export const rawTarget = (target: QueueTarget, rawFile: string): QueueTarget =>
  target.variant === "sqlite" ? { ...target, database: rawFile } : target;

/**
 * At most `workers` handlers in flight; claims up to HOLD_PER_WORKER jobs a worker ahead once
 * fewer than `workers` wait (on PostgreSQL a claim of the free slots alone would cost a round
 * trip per few jobs); finished ids are marked done in batches by a flusher of its own, then reported done.
 */
export async function startRawWorker(
  target: QueueTarget,
  workers: number,
  hooks: WorkerHooks,
  withHttp = false,
): Promise<RunningWorker> {
  const store = rawStore(target);
  const server = withHttp ? await startRawHttp(target) : undefined;
  let stopping = false;
  let inFlight = 0;
  const ready: Array<{ id: number; payload: string }> = [];
  let finished: number[] = [];
  let wake: (() => void) | undefined;
  const nudge = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  // Completions are written by one flusher, apart from the claims: while one UPDATE commits,
  // the next batch gathers (what Steward's OutcomeWriter does too).
  let flushing: Promise<void> | undefined;
  const flush = () => {
    flushing ??= (async () => {
      while (finished.length > 0) {
        const ids = finished;
        finished = [];
        await store.complete(ids);
        hooks.onDone(ids.length);
      }
      flushing = undefined;
    })();
  };
  const handle = async (job: { id: number; payload: string }) => {
    hooks.onStart(JSON.parse(job.payload));
    await Promise.resolve();
    finished.push(job.id);
    inFlight -= 1;
    flush();
    nudge();
  };
  const loop = (async () => {
    while (!stopping) {
      const room = ready.length < workers ? workers * HOLD_PER_WORKER - ready.length - inFlight : 0;
      const jobs = room > 0 ? await store.claim(room) : [];
      ready.push(...jobs);
      while (inFlight < workers && ready.length > 0) {
        inFlight += 1;
        void handle(ready.shift() as { id: number; payload: string });
      }
      if (jobs.length > 0 && jobs.length === room) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(nudge, RAW_POLL_MS);
      });
    }
  })();
  return {
    startMs: 0,
    port: server?.port ?? 0,
    unexpected: [],
    async stop() {
      await server?.close();
      stopping = true;
      nudge();
      await loop;
      flush();
      await flushing;
      await store.close();
    },
  };
}

/** POST /emails that stores the body's payload with one raw insert and answers 202 after the commit. */
export async function startRawHttp(target: QueueTarget): Promise<{ port: number; close(): Promise<void> }> {
  const store = rawStore(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.method !== "POST" || req.url !== "/emails") return answer(404, { error: "not found" });
      let body: { to?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { to?: unknown };
      } catch {
        return answer(400, { error: "body: not JSON" });
      }
      if (typeof body.to !== "string") return answer(400, { error: "to: required" });
      store.insert(JSON.stringify(body)).then(
        (id) => answer(202, { id }),
        (error: Error) => answer(500, { error: error.message }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    },
  };
}
