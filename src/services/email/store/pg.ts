import { performance } from "node:perf_hooks";
import { prepared } from "../../../db/pg-sql.js";
import { jsonParam } from "../../../db/sql.js";
import { BaseEmailStore, type ClaimRequest, type Outcome } from "../store.js";
import { DUE } from "./due.js";
import { byPriority, CLAIMED_COLUMNS, claimedJob, type EmailJob } from "./job.js";

/** Rows a cleanup deletes before the table's statistics are refreshed at once. */
const ANALYZE_AFTER = 10_000;

/**
 * PostgreSQL lets many processes claim at once: FOR UPDATE SKIP LOCKED hands each claimer
 * rows no one else has locked, and the UPDATE in the same statement moves them to `sending`
 * under its lease before the locks are released at commit.
 */
export class PgEmailStore extends BaseEmailStore {
  /**
   * A claim here is a round trip and a commit of its own, and so is the settle of its outcomes:
   * twice SQLite's batch. With the writer's allowance of a claim's outcomes (outcome-writer.ts),
   * claims of up to 1,000 drained 20,000 jobs faster than claims of up to 500 in two interleaved
   * rounds of a scratch loop (2026-12-03); on SQLite, whose claims run on the claim thread, 1,000
   * measured no faster. docs/benchmarks.md has the figures.
   */
  override readonly maxClaimAhead = 1_000;

  async claim(request: ClaimRequest): Promise<EmailJob[]> {
    const { holder, now, leaseMs, limit, messageIdDomain } = request;
    const expires = new Date(now.getTime() + leaseMs);
    const rows = await this.sql.all(PG_CLAIM, [now, limit, limit, holder, expires, now, messageIdDomain]);
    return rows.map((row) => claimedJob(row, { holder, expires, at: now })).sort(byPriority);
  }

  /**
   * Autovacuum reclaims the deleted rows' space for reuse in its own time; what cannot wait is
   * the planner's picture of the table, which a large delete leaves wrong until autoanalyze
   * gets round to it. ANALYZE reads a sample and takes no lock that writers wait on.
   */
  protected async afterCleanup(
    deleted: number,
    _pause: (ms: number) => Promise<void>,
    onStep: (step: string, ms: number) => void,
  ): Promise<void> {
    if (deleted < ANALYZE_AFTER) return;
    const started = performance.now();
    await this.sql.run("analyze email_jobs");
    onStep("analyze", performance.now() - started);
  }

  /**
   * All outcomes in one statement. A retry is pending again with no insert to NOTIFY for it:
   * announced here, so another process sends it at its time even if this one has gone by then.
   * (A job given back is announced by the pool, and only when its breaker opened: see
   * WorkerPool.afterSettle.)
   *
   * Without nested loops: the prepared statement's generic plan takes the outcomes for ten rows,
   * and with statistics from before a burst of jobs it took the jobs in flight for one; it then
   * read every outcome again for each job in flight (8,551 outcomes against 20,000 such jobs took
   * 21 s). A hash join costs the same however wrong the guesses; the setting is the transaction's own.
   */
  async settle(holder: string, outcomes: readonly Outcome[]): Promise<number> {
    if (outcomes.length === 0) return 0;
    const column = <T>(pick: (o: Outcome) => T) => outcomes.map(pick);
    const changed = await this.sql.tx(async (tx) => {
      await tx.run("set local enable_nestloop = off");
      return tx.run(SETTLE_MANY, [
        column((o) => o.id),
        column((o) => o.kind),
        column((o) => o.at),
        column((o) => (o.kind === "retry" ? o.runAt : null)),
        column((o) => (o.kind === "sent" && o.rejected.length > 0 ? JSON.stringify(o.rejected) : null)),
        column((o) => (o.kind === "sent" ? o.note : o.error)),
        column((o) => o.code),
        column((o) => (o.kind === "requeue" ? null : jsonParam(o.recipients))),
        column((o) => (o.kind === "requeue" && o.transportFailure ? 1 : 0)),
        holder,
      ]);
    });
    await this.announceDue(outcomes.some((o) => o.kind === "retry") ? changed : 0);
    return changed;
  }
}

/**
 * The loose scan of store/due.ts: for each priority some pending job has, lowest first, the
 * first `limit` due jobs of that priority (one range of email_jobs_pending_idx each, locked with
 * SKIP LOCKED), then the first `limit` of those in (priority, run_at) order. At most `limit` rows
 * are read per priority, so the sort is small, and jobs scheduled ahead are never read. The
 * update finds its rows by primary key (`= any(array(...))`): joined to the CTE, the planner
 * guessed a hundred rows and hashed them against a scan of the whole table, once per claim.
 */
export const PG_CLAIM = prepared(`${DUE.pg.priorities},
  due as (
    select d.id from prio cross join lateral (
      select id, run_at from email_jobs
      where status = 'pending' and priority = prio.p and run_at <= ?
      order by run_at
      limit ?
      for update skip locked
    ) d
    where prio.p is not null
    order by prio.p, d.run_at
    limit ?
  )
  update email_jobs j set status = 'sending', lease_holder = ?, lease_expires_at = ?,
    attempts = j.attempts + 1, updated_at = ?,
    message_id = coalesce(j.message_id, '<' || j.id || '.' || substr(md5(random()::text), 1, 16) || '@' || ?::text || '>')
  where j.id = any(array(select id from due))
  returning ${CLAIMED_COLUMNS.map((column) => `j.${column}`).join(", ")}`);

/**
 * Every outcome of a batch in one statement (SQLite's sqliteSettleText is the same): a sent or
 * requeued job keeps an earlier error and code unless the outcome brings new ones; a retried or failed one records
 * the new ones. A requeued job gives back the attempt its claim counted and keeps its run_at.
 */
export const SETTLE_MANY = prepared(`update email_jobs j set
    status = case v.kind when 'sent' then 'sent' when 'failed' then 'failed' else 'pending' end,
    run_at = coalesce(v.run_at, j.run_at),
    sent_at = case when v.kind = 'sent' then v.at else j.sent_at end,
    updated_at = v.at,
    rejected = case when v.kind = 'sent' then v.rejected::jsonb else j.rejected end,
    recipients = coalesce(v.recipients::jsonb, j.recipients),
    last_error = case when v.kind in ('sent', 'requeue') then coalesce(v.error, j.last_error) else v.error end,
    last_smtp_code = case when v.kind in ('sent', 'requeue') then coalesce(v.code, j.last_smtp_code) else v.code end,
    attempts = case when v.kind = 'requeue' and j.attempts > 0 then j.attempts - 1
                    when v.kind = 'requeue' then 0 else j.attempts end,
    transport_failures = j.transport_failures + v.transport_failure,
    lease_holder = null, lease_expires_at = null
  from unnest(?::bigint[], ?::text[], ?::timestamptz[], ?::timestamptz[], ?::text[], ?::text[], ?::int[], ?::text[],
              ?::int[]) as v(id, kind, at, run_at, rejected, error, code, recipients, transport_failure)
  where j.id = v.id and j.lease_holder = ? and j.status = 'sending'`);
