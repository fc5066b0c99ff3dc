import { type EmailJob, jobFromRow } from "./job.js";
import { BaseEmailStore, type ClaimRequest, type Outcome, settleParams } from "./store.js";
import { byPriority } from "./store-sqlite.js";

/**
 * PostgreSQL lets many processes claim at once: FOR UPDATE SKIP LOCKED hands each claimer
 * rows no one else has locked, and the UPDATE in the same statement moves them to `sending`
 * under its lease before the locks are released at commit.
 */
export class PgEmailStore extends BaseEmailStore {
  async claim(request: ClaimRequest): Promise<EmailJob[]> {
    const { holder, now, leaseMs, limit, messageIdDomain } = request;
    const rows = await this.sql.all(
      `with due as (
         select id from email_jobs
         where status = 'pending' and run_at <= ?
         order by priority, run_at
         limit ?
         for update skip locked
       )
       update email_jobs j set status = 'sending', lease_holder = ?, lease_expires_at = ?,
         attempts = j.attempts + 1, updated_at = ?,
         message_id = coalesce(j.message_id, '<' || j.id || '@' || ?::text || '>')
       from due where j.id = due.id
       returning j.*`,
      [now, limit, holder, new Date(now.getTime() + leaseMs), now, messageIdDomain],
    );
    return rows.map(jobFromRow).sort(byPriority);
  }

  settle(holder: string, outcomes: readonly Outcome[]): Promise<number> {
    if (outcomes.length === 0) return Promise.resolve(0);
    if (outcomes.length === 1) {
      const [text, params] = settleParams(holder, outcomes[0] as Outcome);
      return this.sql.run(text, params);
    }
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
