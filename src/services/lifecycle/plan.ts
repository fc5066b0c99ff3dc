import type { Row, Sql } from "../../db/sql.js";
import { toBool, toDate } from "../../db/sql.js";
import type { SubjectType } from "../../subjects/index.js";
import { DAY_MS, type NoticeKind, plannedNotices, planRange } from "./rules.js";

export interface PlanEntry {
  at: Date;
  kind: NoticeKind;
  subjectType: SubjectType;
  subjectId: string;
  subjectName: string;
  recipient: string | null;
  subscriptionEnd: Date;
}

const PAGE = 1_000;

/**
 * The notices that would go out in the next `horizonMs`, without sending anything: each
 * subject whose E could open a window in that time, minus notices already recorded. Read in
 * keyset pages over the subscription_end index; the answer is sorted by when each goes out.
 */
export async function planNotices(
  sql: Sql,
  now: Date,
  horizonMs: number,
  expiredNoticeDays: number,
): Promise<PlanEntry[]> {
  const range = planRange(now, horizonMs, expiredNoticeDays);
  const out: PlanEntry[] = [];
  for (const subject of ["project", "portrait"] as const) {
    let cursor = { end: range.after, id: "" };
    for (;;) {
      const rows = await page(sql, subject, range, cursor);
      for (const r of rows) {
        const end = toDate(r.subscription_end) as Date;
        const sent = new Set((["7day", "24hour", "expired"] as const).filter((kind) => toBool(r[`sent_${kind}`])));
        for (const notice of plannedNotices(end, now, horizonMs, expiredNoticeDays)) {
          if (sent.has(notice.kind)) continue;
          out.push({
            at: notice.at,
            kind: notice.kind,
            subjectType: subject,
            subjectId: String(r.id),
            subjectName: String(r.name ?? ""),
            recipient: (r.recipient as string | null) ?? null,
            subscriptionEnd: end,
          });
        }
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < PAGE) break;
      cursor = { end: toDate(last.subscription_end) as Date, id: String(last.id) };
    }
  }
  return out.sort((a, b) => a.at.getTime() - b.at.getTime() || a.subjectId.localeCompare(b.subjectId));
}

async function page(
  sql: Sql,
  subject: SubjectType,
  range: { after: Date; upTo: Date },
  cursor: { end: Date; id: string },
): Promise<Row[]> {
  const from = subject === "portrait" ? "portraits s left join projects pr on pr.id = s.project_id" : "projects s";
  const recipient = subject === "portrait" ? "coalesce(s.owner_email, pr.owner_email)" : "s.owner_email";
  const name = subject === "portrait" ? "s.title" : "s.name";
  const sent = (kind: NoticeKind) =>
    `exists (select 1 from lifecycle_notices n where n.subject_type = '${subject}' and n.subject_id = s.id
       and n.kind = '${kind}' and n.subscription_end = s.subscription_end) as sent_${kind}`;
  return sql.all<Row>(
    `select s.id, s.subscription_end, ${recipient} as recipient, ${name} as name,
       ${sent("7day")}, ${sent("24hour")}, ${sent("expired")}
     from ${from}
     where s.subscription_end > ? and s.subscription_end <= ?
       and (s.subscription_end > ? or (s.subscription_end = ? and s.id > ?))
     order by s.subscription_end, s.id
     limit ${PAGE}`,
    [range.after, range.upTo, cursor.end, cursor.end, cursor.id],
  );
}

export interface LifecyclePlan {
  from: Date;
  to: Date;
  days: number;
  notices: PlanEntry[];
  /** More notices were due than `max`: the list holds the first ones. */
  truncated: boolean;
  /** LIFECYCLE_NOTIFICATIONS_ENABLED: when false, none of these would be sent. */
  notificationsEnabled: boolean;
}

/**
 * `steward lifecycle plan` and GET /lifecycle/plan: the notices of the next `days` days,
 * sending nothing. One function for both, so the page and the terminal never disagree.
 */
export async function lifecyclePlan(
  sql: Sql,
  config: { expiredNoticeDays: number; notificationsEnabled: boolean },
  now: Date,
  days: number,
  max = Number.POSITIVE_INFINITY,
): Promise<LifecyclePlan> {
  const all = await planNotices(sql, now, days * DAY_MS, config.expiredNoticeDays);
  return {
    from: now,
    to: new Date(now.getTime() + days * DAY_MS),
    days,
    notices: all.slice(0, max),
    truncated: all.length > max,
    notificationsEnabled: config.notificationsEnabled,
  };
}
