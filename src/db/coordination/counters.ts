import type { Sql } from "../sql.js";
import { toNumber } from "../sql.js";

/**
 * Counts kept as things change, in the `counters` table, so that a status page or a metric
 * reads a few rows instead of counting a table of ten million. A counter is a name
 * (`email.pending`, `portraits.archived`, ...) and every change adds to it in the same
 * transaction as the change itself, so a counter is exact whenever the change is committed.
 *
 * The dialects differ only in where an addition lands. SQLite has one writer at a time, so a
 * name has one row (shard 0). On PostgreSQL each backend adds to its own row (shard = its pid):
 * two transactions then never wait on one hot row, and never deadlock on two rows taken in
 * opposite orders; `fold()` moves those rows into shard 0 from time to time, so a read sums a
 * handful of rows per name.
 */
export type CounterDeltas = Readonly<Record<string, number>>;

const SHARD = { sqlite: "0", pg: "pg_backend_pid()" } as const;

/** Adds each delta to its counter inside the caller's transaction, in one statement. */
export function addCounts(tx: Sql, deltas: CounterDeltas): Promise<void> {
  return upsert(tx, byName(Object.entries(deltas).filter(([, n]) => n !== 0)), SHARD[tx.dialect]);
}

/** Sorted by name, so every writer locks rows in one order (belt and braces beside the shards). */
function byName(entries: Array<[string, number]>): Array<[string, number]> {
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Names per statement: PostgreSQL's protocol counts a statement's parameters in 16 bits. */
const UPSERT_CHUNK = 10_000;

async function upsert(tx: Sql, entries: Array<[string, number]>, shard: string): Promise<void> {
  for (let i = 0; i < entries.length; i += UPSERT_CHUNK) {
    const chunk = entries.slice(i, i + UPSERT_CHUNK);
    await tx.run(
      `insert into counters (name, shard, n) values ${chunk.map(() => `(?, ${shard}, ?)`).join(", ")}
       on conflict (name, shard) do update set n = counters.n + excluded.n`,
      chunk.flat(),
    );
  }
}

export class CounterStore {
  constructor(private readonly sql: Sql) {}

  /** Every counter whose name starts with `prefix`, keyed by the rest of its name. */
  async read(prefix: string): Promise<Record<string, number>> {
    const rows = await this.sql.all<{ name: string; n: unknown }>(
      "select name, sum(n) as n from counters where name >= ? and name < ? group by name",
      [prefix, `${prefix}\uffff`],
    );
    const out: Record<string, number> = {};
    for (const row of rows) out[row.name.slice(prefix.length)] = toNumber(row.n);
    return out;
  }

  /**
   * PostgreSQL: moves every backend's shard into shard 0. Rows a transaction still holds are
   * skipped (SKIP LOCKED) and folded next time, so the fold never waits and never deadlocks.
   * Returns the rows folded; SQLite has nothing to fold.
   */
  async fold(): Promise<number> {
    if (this.sql.dialect !== "pg") return 0;
    return this.sql.tx(async (tx) => {
      const moved = await tx.all<{ name: string; n: unknown }>(
        `delete from counters where (name, shard) in (
           select name, shard from counters where shard <> 0 order by name, shard for update skip locked)
         returning name, n`,
      );
      const sums: Record<string, number> = {};
      for (const row of moved) sums[row.name] = (sums[row.name] ?? 0) + toNumber(row.n);
      await upsert(tx, byName(Object.entries(sums)), "0");
      return moved.length;
    });
  }

  /** Sets one set of counters to exact counts (see recountAll); returns them by key. */
  async recount(set: CounterSet, now: Date): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const c of await this.recountAll([set], now)) out[c.name.slice(set.prefix.length)] = c.now;
    return out;
  }

  /**
   * Sets every counter of `sets` to exact counts (`now` for a count that depends on the time), in one transaction, with their tables locked
   * against writers, so no change slips between a count and its write and the sets agree with
   * one another. Returns each counter with what it said before (`was`) and now.
   */
  async recountAll(sets: readonly CounterSet[], now: Date): Promise<Recounted[]> {
    for (const set of sets) await set.catchUp?.(this.sql, now);
    return this.sql.tx(async (tx) => {
      // SQLite's BEGIN IMMEDIATE already keeps every other writer out. On PostgreSQL the tables
      // are locked in one sorted statement, so two recounts cannot deadlock on them.
      const tables = [...new Set(sets.map((s) => s.table))].sort();
      if (tx.dialect === "pg" && tables.length > 0) await tx.run(`lock table ${tables.join(", ")} in share mode`);
      const out: Recounted[] = [];
      for (const { prefix, countSql, keys } of sets) {
        const was = await new CounterStore(tx).read(prefix);
        const exact: Record<string, number> = Object.fromEntries(keys.map((k) => [k, 0]));
        const text = typeof countSql === "string" ? countSql : countSql({ dialect: tx.dialect, now });
        for (const row of await tx.all<{ key: string; n: unknown }>(text)) exact[row.key] = toNumber(row.n);
        await tx.run("delete from counters where name >= ? and name < ?", [prefix, `${prefix}\uffff`]);
        await upsert(tx, byName(Object.entries(exact).map(([k, n]) => [prefix + k, n])), "0");
        for (const key of [...new Set([...Object.keys(was), ...Object.keys(exact)])].sort()) {
          out.push({ name: prefix + key, was: was[key] ?? 0, now: exact[key] ?? 0 });
        }
      }
      return out;
    });
  }
}

export interface Recounted {
  name: string;
  was: number;
  now: number;
}

/**
 * The counters under one prefix and how to count them from their table: `countSql` returns rows
 * `{key, n}`; `keys` lists every key the prefix may hold, so one no row has any more is set to 0.
 */
export interface CounterSet {
  prefix: string;
  table: string;
  /** `select key, n`; a function where the count depends on the dialect or the time (the email queue's minutes). */
  countSql: string | ((at: { dialect: Sql["dialect"]; now: Date }) => string);
  keys: readonly string[];
  /**
   * Run before the recount's transaction: where counters lag their table on purpose (the email
   * queue's on SQLite), brings them up to date, so that what the recount says they were is
   * the drift alone.
   */
  catchUp?: (sql: Sql, now: Date) => Promise<unknown>;
}
