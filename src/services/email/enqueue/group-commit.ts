import { performance } from "node:perf_hooks";
import type { WakeHub } from "../../../core/wake.js";
import type { Sql } from "../../../db/sql.js";
import { EMAIL_WAKE, type EnqueueResult, type PreparedRow } from "./insert.js";
import { writeRows } from "./write.js";

/**
 * Group commit for POST /emails: jobs that arrive together share one transaction, and each
 * caller's promise settles only after the transaction holding its job has committed, so a 202
 * is never sent for a job that is not stored. A commit per request was the ceiling of the
 * HTTP enqueue (SQLite commits one at a time; PostgreSQL waits for its WAL flush each time).
 *
 * A job that finds the queue idle (no group began in the last 20 ms) is committed as soon as
 * the event loop has read what else arrived with it (setImmediate): no waiting when traffic
 * is light. When busy, the group keeps gathering while each turn of the loop brings more
 * jobs, for at most `windowMs` from its first (PostgreSQL's commit_delay, in miniature, but
 * without waiting once the arrivals stop). A group holds at most `maxRows` jobs (a full one
 * starts at once); while `maxInFlight` groups are committing, new jobs gather for the next.
 * Validation happens before a job is added: a refused job never joins a group.
 *
 * When a group's transaction fails, its jobs are tried again each in its own transaction, so
 * one job a trigger or constraint refuses fails alone; each caller gets its own job's outcome.
 */
export interface GroupCommitOptions {
  /** Most jobs in one transaction. */
  maxRows?: number;
  /** Transactions committing at once: 1 on SQLite (one writer); a few on PostgreSQL. */
  maxInFlight?: number;
  /** When busy, the longest a group keeps gathering jobs before it commits. */
  windowMs?: number;
  wake?: WakeHub;
  /** Told of each group's size once its transaction ended (tests, metrics). */
  onGroup?: (size: number, committed: boolean) => void;
}

interface Waiter {
  row: PreparedRow;
  resolve(result: EnqueueResult): void;
  reject(error: unknown): void;
}

/** A group's worth: 500 jobs take a few milliseconds to write, so none waits long behind one. */
const DEFAULT_MAX_ROWS = 500;
/** A millisecond: short beside the 10 ms a client may wait, long beside one request's work. */
const DEFAULT_WINDOW_MS = 1;
/** A group began this recently: the queue counts as busy, and the next one gathers. */
const BUSY_MS = 20;

export class GroupCommit {
  private waiting: Waiter[] = [];
  private scheduled = false;
  private inFlight = 0;
  private lastStart = Number.NEGATIVE_INFINITY;
  private readonly maxRows: number;
  private readonly maxInFlight: number;
  private readonly windowMs: number;

  constructor(
    private readonly sql: Sql,
    private readonly options: GroupCommitOptions = {},
  ) {
    this.maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
    this.maxInFlight = options.maxInFlight ?? (sql.dialect === "sqlite" ? 1 : 4);
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  }

  /** Resolves once the job is committed (or its idempotency key found); rejects if it could not be stored. */
  add(row: PreparedRow): Promise<EnqueueResult> {
    return new Promise<EnqueueResult>((resolve, reject) => {
      this.waiting.push({ row, resolve, reject });
      if (this.waiting.length >= this.maxRows && this.inFlight < this.maxInFlight) this.flush();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const began = performance.now();
    // Busy: a group began lately, so more jobs are likely on their way.
    const busy = began - this.lastStart < BUSY_MS;
    let seen = this.waiting.length;
    const check = () => {
      // Gather while each turn of the loop brings more, for up to a window; then commit.
      const grew = this.waiting.length > seen;
      seen = this.waiting.length;
      if (busy && grew && seen < this.maxRows && performance.now() - began < this.windowMs) {
        setImmediate(check);
        return;
      }
      this.scheduled = false;
      while (this.waiting.length > 0 && this.inFlight < this.maxInFlight) this.flush();
    };
    setImmediate(check);
  }

  private flush(): void {
    this.lastStart = performance.now();
    const group = this.waiting.splice(0, this.maxRows);
    this.inFlight += 1;
    void this.commit(group).finally(() => {
      this.inFlight -= 1;
      if (this.waiting.length > 0) this.schedule();
    });
  }

  private async commit(group: Waiter[]): Promise<void> {
    let results: EnqueueResult[];
    try {
      results = await this.sql.tx((tx) =>
        writeRows(
          tx,
          group.map((w) => w.row),
        ),
      );
    } catch (error) {
      this.options.onGroup?.(group.length, false);
      if (group.length === 1) (group[0] as Waiter).reject(error);
      else await Promise.all(group.map((w) => this.commitAlone(w)));
      return;
    }
    this.options.onGroup?.(group.length, true);
    this.settled(group, results);
  }

  private async commitAlone(waiter: Waiter): Promise<void> {
    try {
      const results = await this.sql.tx((tx) => writeRows(tx, [waiter.row]));
      this.options.onGroup?.(1, true);
      this.settled([waiter], results);
    } catch (error) {
      this.options.onGroup?.(1, false);
      waiter.reject(error);
    }
  }

  private settled(group: readonly Waiter[], results: readonly EnqueueResult[]): void {
    if (results.some((r) => r.created)) this.options.wake?.announce(EMAIL_WAKE);
    for (let i = 0; i < group.length; i += 1) (group[i] as Waiter).resolve(results[i] as EnqueueResult);
  }
}
