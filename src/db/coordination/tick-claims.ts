import type { Sql } from "../sql.js";

/**
 * Claims (job, scheduled time) exactly once across every process: "this 02:00 backup runs
 * once, whichever process wakes first". The primary key does the deciding.
 */
export class TickClaimStore {
  constructor(private readonly sql: Sql) {}

  async claim(job: string, scheduledAt: Date, claimedBy: string, now: Date): Promise<boolean> {
    const changed = await this.sql.run(
      `insert into tick_claims (job, scheduled_at, claimed_by, claimed_at) values (?, ?, ?, ?)
       on conflict (job, scheduled_at) do nothing`,
      [job, scheduledAt, claimedBy, now],
    );
    return changed === 1;
  }

  async lastClaimed(job: string): Promise<Date | undefined> {
    const row = await this.sql.get<{ at: unknown }>("select max(scheduled_at) as at from tick_claims where job = ?", [
      job,
    ]);
    if (row?.at === null || row?.at === undefined) return undefined;
    return row.at instanceof Date ? row.at : new Date(Number(row.at));
  }

  /** Claims older than `before` only guard ticks that can never fire again. */
  async prune(before: Date): Promise<number> {
    return this.sql.run("delete from tick_claims where scheduled_at < ?", [before]);
  }
}
