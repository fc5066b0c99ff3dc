import { toError } from "../../../core/errors.js";
import type { Logger } from "../../../core/logger.js";
import type { EmailStore, Outcome } from "../store.js";

/** Outcomes written in one transaction at most... */
const FLUSH_BATCH = 200;
/** ...and at the latest this long after the first of them. */
const FLUSH_WINDOW_MS = 50;
/** After a failed write (database unreachable), try again this much later. */
const RETRY_MS = 1_000;

/**
 * Writes send outcomes back in batches: at once when a batch is full, else after a short
 * window, so a stream of sends costs one commit per window instead of one per message (on
 * SQLite the commit, not the row, is what costs). The window is I/O coalescing on the event
 * loop, not business time, so it is a real timer rather than the injected clock; all it
 * lengthens is the moment in which a crash would leave a sent job to be sent again.
 */
export class OutcomeWriter {
  private outcomes: Outcome[] = [];
  /** Outcomes in the write under way. */
  private writing = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly deps: {
      store: EmailStore;
      holder: string;
      logger: Logger;
      /** Told each batch once it is written. */
      onSettled?: (batch: readonly Outcome[]) => void;
    },
  ) {}

  get pending(): number {
    return this.outcomes.length;
  }

  /**
   * Outcomes not yet recorded (the write under way included) beyond what a writer keeping up
   * has in hand, a batch being written and one filling: the sign of a write falling behind. A
   * batch is what the pool claims at once (`claimed`, since a write takes every outcome waiting)
   * or FLUSH_BATCH if more. Counted in FLUSH_BATCHes alone, a claim of 510 sent quickly was
   * "behind" while the previous claim's outcomes were written, so on PostgreSQL every claim
   * waited for the settle before it and the pool stood empty through both (a timeline of a
   * scratch drain).
   */
  behind(claimed: number): number {
    return Math.max(0, this.outcomes.length + this.writing - 2 * Math.max(FLUSH_BATCH, claimed));
  }

  add(outcome: Outcome): void {
    this.outcomes.push(outcome);
    if (this.outcomes.length >= FLUSH_BATCH) void this.flush();
    else this.schedule(FLUSH_WINDOW_MS);
  }

  /** Writes everything queued; on a database error keeps it and tries again later. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.chain = this.chain.then(() => this.write());
    return this.chain;
  }

  /** No more retries by timer (the pool is stopping; its last flush is explicit). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
  }

  private async write(): Promise<void> {
    const batch = this.outcomes.splice(0);
    if (batch.length === 0) return;
    const { store, holder, logger } = this.deps;
    this.writing = batch.length;
    try {
      const changed = await store.settle(holder, batch);
      // Recorded: no longer held by this write, before onSettled looks (the pool sizes claims by it).
      this.writing = 0;
      if (changed < batch.length) {
        logger.warn(
          { lost: batch.length - changed },
          "outcomes for jobs whose lease had expired were not recorded; those jobs will be sent again",
        );
      }
      this.deps.onSettled?.(batch);
    } catch (error) {
      this.writing = 0;
      this.outcomes.unshift(...batch);
      logger.warn({ err: toError(error), outcomes: batch.length }, "could not record email outcomes");
      this.schedule(RETRY_MS);
    }
  }
}
