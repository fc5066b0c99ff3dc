import type { Clock } from "../../core/clock.js";
import type { Sql } from "../sql.js";
import { toDate } from "../sql.js";

export interface LeaseInfo {
  name: string;
  holder: string;
  expiresAt: Date;
  acquiredAt: Date;
}

/**
 * Named leases with a TTL: "only one process runs the lifecycle pass". Acquire and renew are
 * one upsert that succeeds only when the row is free, expired, or already ours, so two
 * contenders can never both hold it. A holder that dies simply stops renewing.
 */
export class LeaseStore {
  constructor(private readonly sql: Sql) {}

  /** Takes the lease or extends our hold on it. True when we hold it afterwards. */
  async acquire(name: string, holder: string, ttlMs: number, now: Date): Promise<boolean> {
    const expiresAt = new Date(now.getTime() + ttlMs);
    const row = await this.sql.get<{ holder: string }>(
      `insert into leases (name, holder, expires_at, acquired_at, renewed_at) values (?, ?, ?, ?, ?)
       on conflict (name) do update set
         holder = excluded.holder,
         expires_at = excluded.expires_at,
         acquired_at = case when leases.holder = excluded.holder then leases.acquired_at else excluded.acquired_at end,
         renewed_at = excluded.renewed_at
       where leases.holder = excluded.holder or leases.expires_at <= excluded.renewed_at
       returning holder`,
      [name, holder, expiresAt, now, now],
    );
    return row?.holder === holder;
  }

  /** Gives the lease up at once so a standby need not wait for the TTL. */
  async release(name: string, holder: string): Promise<void> {
    await this.sql.run("delete from leases where name = ? and holder = ?", [name, holder]);
  }

  async get(name: string): Promise<LeaseInfo | undefined> {
    const row = await this.sql.get<Record<string, unknown>>(
      "select name, holder, expires_at, acquired_at from leases where name = ?",
      [name],
    );
    if (!row) return undefined;
    return {
      name: String(row.name),
      holder: String(row.holder),
      expiresAt: toDate(row.expires_at) as Date,
      acquiredAt: toDate(row.acquired_at) as Date,
    };
  }
}

/**
 * One process's claim on one lease: the object a leader-elected service keeps. `held` is the
 * answer of the last acquire; a failed acquire (database down) counts as not held, so a
 * process that cannot reach the database stops acting as leader.
 */
export class Lease {
  private heldUntil = 0;

  constructor(
    private readonly store: LeaseStore,
    readonly name: string,
    readonly holder: string,
    readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  /** True while the last successful acquire has not yet expired. */
  get held(): boolean {
    return this.clock.now().getTime() < this.heldUntil;
  }

  async acquire(): Promise<boolean> {
    const now = this.clock.now();
    try {
      const ok = await this.store.acquire(this.name, this.holder, this.ttlMs, now);
      this.heldUntil = ok ? now.getTime() + this.ttlMs : 0;
      return ok;
    } catch (error) {
      this.heldUntil = 0;
      throw error;
    }
  }

  async release(): Promise<void> {
    this.heldUntil = 0;
    await this.store.release(this.name, this.holder);
  }

  /**
   * Runs `fn` while renewing the lease every third of its TTL, so a long pass does not lose
   * it half-way. `signal` aborts if a renewal fails, telling `fn` to stop writing.
   */
  async hold<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const lost = new AbortController();
    const done = new AbortController();
    const renewer = (async () => {
      while (!done.signal.aborted) {
        await this.clock.sleep(Math.max(1, Math.floor(this.ttlMs / 3)), done.signal);
        if (done.signal.aborted) return;
        const ok = await this.acquire().catch(() => false);
        if (!ok) {
          lost.abort(new Error(`lease ${this.name} lost`));
          return;
        }
      }
    })();
    try {
      return await fn(lost.signal);
    } finally {
      done.abort();
      await renewer;
    }
  }
}
