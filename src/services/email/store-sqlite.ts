import { type EmailJob, jobFromRow } from "./job.js";
import { BaseEmailStore, type ClaimRequest, type Outcome, settleParams } from "./store.js";

/**
 * SQLite has one writer at a time: the claim is a single UPDATE ... RETURNING inside
 * BEGIN IMMEDIATE, so the write lock is taken before the due rows are read and two
 * processes can never select the same job.
 */
export class SqliteEmailStore extends BaseEmailStore {
  claim(request: ClaimRequest): Promise<EmailJob[]> {
    const { holder, now, leaseMs, limit, messageIdDomain } = request;
    return this.sql.tx(async (tx) => {
      const rows = await tx.all(
        `update email_jobs set status = 'sending', lease_holder = ?, lease_expires_at = ?, attempts = attempts + 1,
           updated_at = ?, message_id = coalesce(message_id, '<' || id || '@' || ? || '>')
         where id in (
           select id from email_jobs where status = 'pending' and run_at <= ?
           order by priority, run_at, id limit ?)
         returning *`,
        [holder, new Date(now.getTime() + leaseMs), now, messageIdDomain, now, limit],
      );
      return rows.map(jobFromRow).sort(byPriority);
    });
  }

  settle(holder: string, outcomes: readonly Outcome[]): Promise<number> {
    if (outcomes.length === 0) return Promise.resolve(0);
    return this.sql.tx(async (tx) => {
      let changed = 0;
      for (const outcome of outcomes) {
        const [text, params] = settleParams(holder, outcome);
        changed += await tx.run(text, params);
      }
      return changed;
    });
  }
}

export function byPriority(a: EmailJob, b: EmailJob): number {
  return a.priority - b.priority || a.runAt.getTime() - b.runAt.getTime() || (a.id < b.id ? -1 : 1);
}
