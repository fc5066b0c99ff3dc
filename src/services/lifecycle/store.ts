import { CounterStore } from "../../db/coordination/counters.js";
import type { Row, Sql } from "../../db/sql.js";
import { toDate, toNumber } from "../../db/sql.js";
import type { LifecycleStatus, SubjectType } from "../../subjects/index.js";
import type { NoticeCandidate } from "./notice-email.js";
import { EXPIRING_MS, type NoticeKind } from "./rules.js";

export const SUBJECT_TABLES: Record<SubjectType, string> = { project: "projects", portrait: "portraits" };

export type StatusCounts = Record<LifecycleStatus, number>;

/** Counter names (src/db/coordination/counters.ts), kept by triggers: see ./counters.ts. */
export const statusPrefix = (subject: SubjectType): string => `lifecycle.${subject}.`;
export const NOTICES_PREFIX = "lifecycle.notices.";

interface StatusTarget {
  to: LifecycleStatus;
  where: string;
  params: (now: Date) => unknown[];
}

/**
 * Each target is a range of the (lifecycle_status, subscription_end) index, so a pass visits
 * only rows whose status is wrong. They mirror rules.lifecycleStatus; a test checks the two
 * agree on rows at every boundary.
 */
const STATUS_TARGETS: StatusTarget[] = [
  {
    to: "archived",
    where: "lifecycle_status in ('active', 'expiring') and subscription_end <= ?",
    params: (now) => [now],
  },
  {
    to: "expiring",
    where: "lifecycle_status in ('active', 'archived') and subscription_end > ? and subscription_end <= ?",
    params: (now) => [now, new Date(now.getTime() + EXPIRING_MS)],
  },
  {
    to: "active",
    where: "lifecycle_status in ('expiring', 'archived') and subscription_end > ?",
    params: (now) => [new Date(now.getTime() + EXPIRING_MS)],
  },
  {
    to: "active",
    where: "lifecycle_status in ('expiring', 'archived') and subscription_end is null",
    params: () => [],
  },
];

export interface CandidatePage {
  candidates: NoticeCandidate[];
  /** Keyset cursor for the next page; null when this page was the last. */
  next: { end: Date; id: string } | null;
}

/** The lifecycle pass's SQL: set-based status changes and index-range notice queries. */
export class LifecycleStore {
  private readonly counters: CounterStore;

  constructor(private readonly sql: Sql) {
    this.counters = new CounterStore(sql);
  }

  /**
   * Moves every row whose status is wrong at `now` to the right one, in batches of at most
   * `batchSize` rows per UPDATE (each its own short transaction, so SQLite's write lock is
   * held briefly and other writers interleave). The predicate is repeated outside the
   * subquery so that on PostgreSQL a row renewed meanwhile is re-checked and left alone.
   */
  async applyStatuses(
    subject: SubjectType,
    now: Date,
    batchSize: number,
    signal: AbortSignal,
  ): Promise<Record<LifecycleStatus, number>> {
    const table = SUBJECT_TABLES[subject];
    const changed: Record<LifecycleStatus, number> = { active: 0, expiring: 0, archived: 0 };
    for (const target of STATUS_TARGETS) {
      const params = target.params(now);
      for (;;) {
        if (signal.aborted) return changed;
        const n = await this.sql.run(
          `update ${table} set lifecycle_status = ?, lifecycle_changed_at = ?
           where id in (select id from ${table} where ${target.where} limit ?) and ${target.where}`,
          [target.to, now, ...params, batchSize, ...params],
        );
        changed[target.to] += n;
        if (n < batchSize) break;
      }
    }
    return changed;
  }

  /**
   * One page of subjects whose E lies in (after, upTo] and that have no `kind` notice for that
   * E yet, in (E, id) order from the cursor. The range is on the subscription_end index; the
   * anti-join probes the notices' unique index.
   */
  async dueCandidates(
    subject: SubjectType,
    kind: NoticeKind,
    window: { after: Date; upTo: Date },
    cursor: { end: Date; id: string },
    limit: number,
  ): Promise<CandidatePage> {
    const portrait = subject === "portrait";
    const select = portrait
      ? `select s.id, s.subscription_end, coalesce(s.owner_email, pr.owner_email) as recipient,
           s.title as name, pr.name as project_name
         from portraits s left join projects pr on pr.id = s.project_id`
      : `select s.id, s.subscription_end, s.owner_email as recipient, s.name as name, null as project_name
         from projects s`;
    const rows = await this.sql.all<Row>(
      `${select}
       where s.subscription_end > ? and s.subscription_end <= ?
         and (s.subscription_end > ? or (s.subscription_end = ? and s.id > ?))
         and not exists (select 1 from lifecycle_notices n where n.subject_type = ? and n.subject_id = s.id
                         and n.kind = ? and n.subscription_end = s.subscription_end)
       order by s.subscription_end, s.id
       limit ?`,
      [window.after, window.upTo, cursor.end, cursor.end, cursor.id, subject, kind, limit],
    );
    const candidates = rows.map((r) => ({
      subjectType: subject,
      subjectId: String(r.id),
      subscriptionEnd: toDate(r.subscription_end) as Date,
      recipient: (r.recipient as string | null) ?? null,
      subjectName: String(r.name ?? ""),
      projectName: (r.project_name as string | null) ?? null,
    }));
    const last = candidates[candidates.length - 1];
    return {
      candidates,
      next: last && candidates.length === limit ? { end: last.subscriptionEnd, id: last.subjectId } : null,
    };
  }

  /**
   * Records a notice unless one exists for its unique key. Returns the new row's id, or
   * undefined when it was already there (a concurrent pass, or a `steward run` beside the
   * leader). Call inside the transaction that enqueues its email.
   */
  static async insertNotice(tx: Sql, c: NoticeCandidate, kind: NoticeKind, now: Date): Promise<number | undefined> {
    const row = await tx.get<Row>(
      `insert into lifecycle_notices (subject_type, subject_id, kind, subscription_end, recipient, created_at)
       values (?, ?, ?, ?, ?, ?)
       on conflict do nothing
       returning id`,
      [c.subjectType, c.subjectId, kind, c.subscriptionEnd, c.recipient, now],
    );
    return row ? toNumber(row.id) : undefined;
  }

  static async linkEmail(tx: Sql, noticeId: number, emailJobId: string): Promise<void> {
    await tx.run("update lifecycle_notices set email_job_id = ? where id = ?", [emailJobId, noticeId]);
  }

  /** Read from the counters the triggers keep: a few rows, however many subjects there are. */
  async statusCounts(subject: SubjectType): Promise<StatusCounts> {
    const counts = await this.counters.read(statusPrefix(subject));
    return { active: counts.active ?? 0, expiring: counts.expiring ?? 0, archived: counts.archived ?? 0 };
  }

  async noticeTotals(): Promise<Record<NoticeKind, number>> {
    const counts = await this.counters.read(NOTICES_PREFIX);
    return { "7day": counts["7day"] ?? 0, "24hour": counts["24hour"] ?? 0, expired: counts.expired ?? 0 };
  }

  async foldCounters(): Promise<void> {
    await this.counters.fold();
  }
}
