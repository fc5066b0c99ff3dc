import type { Clock } from "../../../core/clock.js";
import { toError } from "../../../core/errors.js";
import type { Logger } from "../../../core/logger.js";
import type { EmailStore } from "../store.js";
import { reapEveryMs } from "./idle-cadence.js";

export interface LeaseKeeperDeps {
  store: EmailStore;
  clock: Clock;
  logger: Logger;
  /** This process's leases' name (WorkerDeps.holder). */
  holder: string;
  leaseMs: number;
  /** Whether the pool holds any job under its lease, or an outcome of one not yet recorded. */
  holdsAny(): boolean;
}

/**
 * The worker pool's two lease chores: renewing its own leases every third of
 * EMAIL_LEASE_SECONDS while it holds anything, so a long send keeps its job, and taking back the
 * jobs of senders that stopped renewing theirs (the reap), at most every reapEveryMs.
 */
export class LeaseKeeper {
  private lastReapAt = Number.NEGATIVE_INFINITY;
  private readonly stopRenewer = new AbortController();
  private renewer: Promise<void> | undefined;

  constructor(private readonly deps: LeaseKeeperDeps) {}

  /** When the next reap is due, in epoch ms: the idle loop wakes for it. */
  get reapAt(): number {
    return this.lastReapAt + reapEveryMs(this.deps.leaseMs);
  }

  /** Takes back expired leases if a reap is due (`force`: now). */
  async reap(force: boolean): Promise<void> {
    const { clock, store, logger } = this.deps;
    const now = clock.now();
    if (!force && now.getTime() < this.reapAt) return;
    this.lastReapAt = now.getTime();
    const reaped = await store.reapExpired(now);
    if (reaped.requeued + reaped.failed > 0) {
      logger.warn(reaped, "email jobs whose sender stopped renewing their lease were taken back");
    }
  }

  startRenewing(): void {
    this.renewer = this.renewLoop();
  }

  async stopRenewing(): Promise<void> {
    this.stopRenewer.abort();
    await this.renewer;
  }

  private async renewLoop(): Promise<void> {
    const { clock, store, holder, logger, leaseMs } = this.deps;
    const every = Math.max(500, Math.floor(leaseMs / 3));
    const stop = this.stopRenewer.signal;
    while (!stop.aborted) {
      await clock.sleep(every, stop);
      if (stop.aborted) return;
      if (!this.deps.holdsAny()) continue;
      const now = clock.now();
      await store
        .renew(holder, new Date(now.getTime() + leaseMs), now)
        .catch((error: unknown) => logger.warn({ err: toError(error) }, "could not renew email leases"));
    }
  }
}
