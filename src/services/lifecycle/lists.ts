import { instantJson } from "../../core/instant.js";
import type { Row, Sql } from "../../db/sql.js";
import { toDate } from "../../db/sql.js";
import { HttpError } from "../../http/http-error.js";
import { cursorSerial, cursorText, cursorTime, type Page, type PageRequest, pageOf } from "../../http/paging.js";
import type { SubjectType } from "../../subjects/index.js";
import { DAY_MS } from "./rules.js";

const STATUSES = ["active", "expiring", "archived"];

export interface SubjectFilter {
  status?: string;
  /** Only subjects whose subscription ends after now and within this many days. */
  endingWithinDays?: number;
  /** A part of the owner's address, any case. */
  owner?: string;
}

/** The filters of GET /projects and /portraits, each refused by name when malformed. */
export function subjectFilter(query: URLSearchParams): SubjectFilter {
  const filter: SubjectFilter = {};
  const status = query.get("status");
  if (status) {
    if (!STATUSES.includes(status)) throw new HttpError(400, `status: one of ${STATUSES.join(", ")}, not "${status}"`);
    filter.status = status;
  }
  const days = query.get("endingWithinDays");
  if (days) {
    const n = Number(days);
    if (!Number.isInteger(n) || n < 1 || n > 3650) {
      throw new HttpError(400, `endingWithinDays: a whole number of days from 1 to 3650, not "${days}"`);
    }
    filter.endingWithinDays = n;
  }
  const owner = query.get("owner")?.trim();
  if (owner) filter.owner = owner;
  return filter;
}

/**
 * One page of projects or portraits. With `endingWithinDays` the order is by subscription end
 * (the soonest first, through the subscription_end index); otherwise by id. A portrait's owner
 * is its own address, else its project's, as the notices go.
 */
export async function listSubjects(
  sql: Sql,
  type: SubjectType,
  filter: SubjectFilter,
  page: PageRequest,
  now: Date,
): Promise<Page<Record<string, unknown>>> {
  const portrait = type === "portrait";
  const owner = portrait ? "coalesce(s.owner_email, pr.owner_email)" : "s.owner_email";
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.status) {
    where.push("s.lifecycle_status = ?");
    params.push(filter.status);
  }
  const byEnd = filter.endingWithinDays !== undefined;
  if (byEnd) {
    where.push("s.subscription_end > ? and s.subscription_end <= ?");
    params.push(now, new Date(now.getTime() + (filter.endingWithinDays as number) * DAY_MS));
  }
  if (filter.owner) {
    where.push(`lower(${owner}) like ? escape '\\'`);
    params.push(`%${filter.owner.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (page.after) {
    const id = cursorText(page.after, "id");
    if (byEnd) {
      const end = cursorTime(page.after, "end");
      where.push("(s.subscription_end > ? or (s.subscription_end = ? and s.id > ?))");
      params.push(end, end, id);
    } else {
      where.push("s.id > ?");
      params.push(id);
    }
  }
  const rows = await sql.all<Row>(
    `select s.id, ${portrait ? "s.project_id, s.title as name" : "s.name"}, ${owner} as owner_email,
       s.subscription_end, s.lifecycle_status, s.updated_at
     from ${portrait ? "portraits s left join projects pr on pr.id = s.project_id" : "projects s"}
     ${where.length > 0 ? `where ${where.join(" and ")}` : ""}
     order by ${byEnd ? "s.subscription_end, s.id" : "s.id"}
     limit ?`,
    [...params, page.limit + 1],
  );
  return pageOf(
    rows,
    page.limit,
    (r) => (byEnd ? { end: (toDate(r.subscription_end) as Date).getTime(), id: String(r.id) } : { id: String(r.id) }),
    (r) => ({
      id: String(r.id),
      ...(portrait ? { projectId: r.project_id === null ? null : String(r.project_id) } : {}),
      name: String(r.name ?? ""),
      ownerEmail: r.owner_email === null ? null : String(r.owner_email),
      // Steward keeps no owner names: the host app has them; the field is in the contract for one that adds them.
      ownerName: null,
      subscriptionEnd: instantJson(toDate(r.subscription_end)),
      status: String(r.lifecycle_status),
      updatedAt: instantJson(toDate(r.updated_at)),
    }),
  );
}

/** The notices sent, newest first (by their serial id, the order they were recorded in). */
export async function listNotices(sql: Sql, page: PageRequest): Promise<Page<Record<string, unknown>>> {
  const after = page.after ? cursorSerial(page.after, "id") : undefined;
  const rows = await sql.all<Row>(
    `select id, subject_type, subject_id, kind, email_job_id, recipient, created_at from lifecycle_notices
     ${after === undefined ? "" : "where id < ?"} order by id desc limit ?`,
    after === undefined ? [page.limit + 1] : [after, page.limit + 1],
  );
  return pageOf(
    rows,
    page.limit,
    (r) => ({ id: Number(r.id) }),
    (r) => ({
      id: String(r.id),
      at: instantJson(toDate(r.created_at)),
      kind: String(r.kind),
      subject: String(r.subject_type),
      subjectId: String(r.subject_id),
      emailId: r.email_job_id === null ? null : String(r.email_job_id),
      recipient: r.recipient === null ? null : String(r.recipient),
    }),
  );
}
