/** The fewest jobs claimed ahead of the free send slots. */
function minClaimAhead(workers: number): number {
  return Math.max(workers, 10);
}

/** Claim ahead about this much sending time, so a claim serves many sends but holds little. */
const CLAIM_AHEAD_MS = 250;

/**
 * How many jobs a pool of `workers` send slots claims at a time. Jobs are claimed beyond the
 * free send slots, so one claim transaction serves several sends, scaled to the send rate: a
 * fast transport gets big batches (one transaction per hundreds of jobs), a slow one a few, so
 * a busy process does not hold work another could send.
 */
export class ClaimAhead {
  /** Moving average of one send's duration. */
  private averageSendMs = 50;

  /** `most`: the store's maxClaimAhead; a process should not hoard a backlog another could send. */
  constructor(
    private readonly workers: number,
    private readonly most: number,
  ) {}

  recordSend(ms: number): void {
    this.averageSendMs += (ms - this.averageSendMs) * 0.2;
  }

  /** Jobs claimed beyond the free send slots. */
  get ahead(): number {
    const wanted = Math.round((this.workers * CLAIM_AHEAD_MS) / Math.max(this.averageSendMs, 0.001));
    return Math.min(this.most, Math.max(minClaimAhead(this.workers), wanted));
  }

  /** The most jobs the pool holds: its send slots and the claim-ahead. */
  get hold(): number {
    return this.workers + this.ahead;
  }

  /** Whether `held` jobs leave half the claim-ahead free: worth a claim. */
  roomFor(held: number): boolean {
    return this.hold - held >= this.ahead / 2;
  }

  /**
   * How many jobs to claim now, holding `held` and having claimed `claimed` of at most `max`:
   * none until half the claim-ahead is free (or what is left under `max` fits), because a claim
   * of a handful costs a transaction nearly as dear as one of hundreds. Claiming whatever room a
   * few finished sends had made kept a fast transport at a few jobs per claim, thousands of
   * claims per 20,000 jobs.
   */
  room(held: number, claimed: number, max: number): number {
    const free = this.hold - held;
    const left = max - claimed;
    if (free <= 0 || left <= 0) return 0;
    if (!this.roomFor(held) && free < left) return 0;
    return Math.min(free, left);
  }
}
