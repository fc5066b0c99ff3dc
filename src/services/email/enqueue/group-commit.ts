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
 * A group is what arrived before the event loop next reaches its check phase (setImmediate):
 * the bodies read in one turn of the loop, so grouping adds no waiting of its own. A group
 * holds at most `maxRows` jobs; while `maxInFlight` groups are committing, new jobs gather for
 * the next. Validation happens before a job is added: a refused job never joins a group.
 *
 * When a group's transaction fails, its jobs are tried again each in its own transaction, so
 * one job a trigger or constraint refuses fails alone; each caller gets its own job's outcome.
 */
export interface GroupCommitOptions {
  /** Most jobs in one transaction. */
  maxRows?: number;
  /** Transactions committing at once: 1 on SQLite (one writer); a few on PostgreSQL. */
  maxInFlight?: number;
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

export class GroupCommit {
  private waiting: Waiter[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly maxRows: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly sql: Sql,
    private readonly options: GroupCommitOptions = {},
  ) {
    this.maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
    this.maxInFlight = options.maxInFlight ?? (sql.dialect === "sqlite" ? 1 : 4);
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
    setImmediate(() => {
      this.scheduled = false;
      while (this.waiting.length > 0 && this.inFlight < this.maxInFlight) this.flush();
    });
  }

  private flush(): void {
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
