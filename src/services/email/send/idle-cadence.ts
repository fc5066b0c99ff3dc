/**
 * How often an idle pool looks at the database, and why no more often.
 *
 * Without announcements of new work (SQLite, or PostgreSQL while the LISTEN connection is
 * down) an idle pool polls every EMAIL_POLL_INTERVAL_MS: that poll is what finds another
 * process's job on a file system without change events, and a `run_at` come round.
 *
 * With LISTEN in place every way a job becomes pending is announced: the insert trigger, the
 * NOTIFY of a settle that retries, of a release, a reap, an operator's retry and a tripped
 * breaker's give-back (store.ts, store/pg.ts, WorkerPool.afterSettle). A `run_at` in the future is the one thing nobody announces when it
 * comes round, so the pool sleeps until the earliest one (`EmailStore.nextRunAt`) instead of
 * polling for it. What is left for a poll is what no NOTIFY covers (a host app's own UPDATE
 * of a row, a connection that died without telling us): ANNOUNCED_POLL_MS looks for that.
 */
export const ANNOUNCED_POLL_MS = 30_000;

/** The safety poll: EMAIL_POLL_INTERVAL_MS, or ANNOUNCED_POLL_MS (or a longer configured poll) while announced. */
export function safetyPollMs(pollIntervalMs: number, announced: boolean): number {
  return announced ? Math.max(pollIntervalMs, ANNOUNCED_POLL_MS) : pollIntervalMs;
}

/**
 * Expired leases are looked for every quarter of EMAIL_LEASE_SECONDS (within 1 s to 60 s): a
 * crashed sender's job is back within 1.25 lease periods of its last renewal, and the reap
 * costs an idle process one query per 15 s at the default 60 s lease rather than one a second.
 * A reap sooner would gain little: the lease itself already waits a whole period.
 */
export function reapEveryMs(leaseMs: number): number {
  return Math.min(60_000, Math.max(1_000, Math.floor(leaseMs / 4)));
}

export interface IdleWait {
  now: number;
  pollIntervalMs: number;
  /** Whether every enqueue, retry and setting change is announced (LISTEN connected). */
  announced: boolean;
  /** When the next reap is due. */
  reapAt: number;
  /** The earliest run_at of a pending job; undefined when not looked up (not announced). */
  nextRunAt?: Date | null;
}

/** How long a pool with nothing to claim (or paused) sleeps, unless woken: never past the next reap. */
export function idleWaitMs(w: IdleWait): number {
  let wait = Math.min(safetyPollMs(w.pollIntervalMs, w.announced), Math.max(0, w.reapAt - w.now));
  const next = w.nextRunAt?.getTime();
  // A pending job already due that the claim did not get is locked by another process's claim
  // in flight: it is theirs in a moment; look again at the ordinary poll, not at once.
  if (next !== undefined) wait = Math.min(wait, next <= w.now ? w.pollIntervalMs : next - w.now);
  return wait;
}
