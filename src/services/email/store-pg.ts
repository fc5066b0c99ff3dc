import { type EmailJob, jobFromRow } from "./job.js";
import { BaseEmailStore, type ClaimRequest, type Outcome } from "./store.js";
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

  /** All outcomes in one statement, one round trip however many there are. */
  settle(holder: string, outcomes: readonly Outcome[]): Promise<number> {
    if (outcomes.length === 0) return Promise.resolve(0);
    const column = <T>(pick: (o: Outcome) => T) => outcomes.map(pick);
    return this.sql.run(SETTLE_MANY, [
      column((o) => o.id),
      column((o) => STATUS_AFTER[o.kind]),
      column((o) => o.at),
      column((o) => (o.kind === "retry" ? o.runAt : null)),
      column((o) => (o.kind === "sent" && o.rejected.length > 0 ? JSON.stringify(o.rejected) : null)),
      column((o) => (o.kind === "sent" ? o.note : o.error)),
      column((o) => o.code),
      holder,
    ]);
  }
}

const STATUS_AFTER = { sent: "sent", retry: "pending", failed: "failed" } as const;

/**
 * The per-outcome updates of SETTLE_SQL folded into one: a sent job keeps an earlier error
 * and code unless a refusal replaced them; a retried or failed one records the new ones.
 */
const SETTLE_MANY = `update email_jobs j set
    status = v.status,
    run_at = coalesce(v.run_at, j.run_at),
    sent_at = case when v.status = 'sent' then v.at else j.sent_at end,
    updated_at = v.at,
    rejected = case when v.status = 'sent' then v.rejected::jsonb else j.rejected end,
    last_error = case when v.status = 'sent' then coalesce(v.error, j.last_error) else v.error end,
    last_smtp_code = case when v.status = 'sent' then coalesce(v.code, j.last_smtp_code) else v.code end,
    lease_holder = null, lease_expires_at = null
  from unnest(?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[], ?::text[], ?::text[], ?::int[])
    as v(id, status, at, run_at, rejected, error, code)
  where j.id = v.id and j.lease_holder = ? and j.status = 'sending'`;
