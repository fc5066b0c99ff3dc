import type BetterSqlite3 from "better-sqlite3";
import type pg from "pg";

/**
 * The raw baselines of `npm run bench -- enqueue` (the queue bench has its own in _raw-queue.ts): the peer harness's reference queue table
 * (../shared/peerbench/adapters/sqlite.js: integer key, status, run_at, attempts, lease, JSON
 * payload, one index), written with prepared statements and nothing else.
 */
export const RAW_TABLE = `create table if not exists jobs (
  id integer primary key,
  status text not null default 'queued',
  run_at integer not null,
  attempts integer not null default 0,
  locked_until integer,
  payload text not null);
create index if not exists jobs_due on jobs (status, run_at, id);`;

export const RAW_PG_TABLE = `create table if not exists jobs (
  id bigserial primary key,
  status text not null default 'queued',
  run_at bigint not null,
  attempts integer not null default 0,
  locked_until bigint,
  payload text not null);
create index if not exists jobs_due on jobs (status, run_at, id);`;

export interface RawSqliteQueue {
  one(payload: string): void;
  bulk(payloads: readonly string[]): void;
}

export function rawSqliteQueue(db: BetterSqlite3.Database): RawSqliteQueue {
  db.exec(RAW_TABLE);
  const insert = db.prepare("insert into jobs (run_at, payload) values (?, ?)");
  const many = db.transaction((payloads: readonly string[], at: number) => {
    for (const p of payloads) insert.run(at, p);
  });
  return {
    one: (payload) => insert.run(Date.now(), payload),
    bulk: (payloads) => many(payloads, Date.now()),
  };
}

export async function rawPgQueue(pool: pg.Pool) {
  await pool.query(RAW_PG_TABLE);
  return {
    one: async (payload: string) => {
      await pool.query("insert into jobs (run_at, payload) values ($1, $2)", [Date.now(), payload]);
    },
    bulk: async (payloads: readonly string[]) => {
      const at = Date.now();
      await pool.query("insert into jobs (run_at, payload) select * from unnest($1::bigint[], $2::text[])", [
        payloads.map(() => at),
        payloads,
      ]);
    },
  };
}
