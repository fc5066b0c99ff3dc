import { fromJson, type Row, storedTimes, toDate } from "../../../db/sql.js";
import { type RecipientState, readRecipientState, recipientView } from "./recipients.js";

export type EmailStatus = "pending" | "sending" | "sent" | "failed" | "cancelled";

export const EMAIL_STATUSES: readonly EmailStatus[] = ["pending", "sending", "sent", "failed", "cancelled"];

export type StatusCounts = Record<EmailStatus, number>;

export const emptyCounts = (): StatusCounts => ({ pending: 0, sending: 0, sent: 0, failed: 0, cancelled: 0 });

/** The message a job carries: what enqueue validated and stored, and what a send builds from. */
export interface EmailMessage {
  to: string[];
  cc: string[];
  bcc: string[];
  from: string | null;
  replyTo: string | null;
  subject: string;
  text: string | null;
  html: string | null;
  templateId: string | null;
  variables: Record<string, unknown> | null;
  headers: Record<string, string> | null;
  priority: number;
}

/** The columns of email_jobs that hold the id and the message, in the order enqueue writes them. */
export const MESSAGE_COLUMNS = [
  "id",
  "to_addrs",
  "cc_addrs",
  "bcc_addrs",
  "from_addr",
  "reply_to",
  "subject",
  "text_body",
  "html_body",
  "template_id",
  "variables",
  "headers",
  "priority",
] as const;

/**
 * Where the job an operator or a host app names is found: a whole number is its id; anything
 * else is the id it had before the integer key (sqlite 0014, pg 0012), kept in legacy_id.
 */
export function idWhere(id: string): { where: string; param: string } {
  return /^[1-9][0-9]{0,15}$/.test(id) ? { where: "id = ?", param: id } : { where: "legacy_id = ?", param: id };
}

/** One row of email_jobs, read the same way on both dialects. */
export interface EmailJob extends EmailMessage {
  id: string;
  status: EmailStatus;
  attempts: number;
  maxAttempts: number | null;
  runAt: Date;
  leaseHolder: string | null;
  leaseExpiresAt: Date | null;
  lastError: string | null;
  lastSmtpCode: number | null;
  rejected: string[] | null;
  /** Per-recipient state once a server refused some of them; null before. */
  recipients: RecipientState | null;
  /** Sends that failed in the transport and spent no attempt. */
  transportFailures: number;
  /**
   * Why the row itself cannot be sent (a host app wrote `headers` or `variables` that are not
   * a JSON object); null when it reads fine. The send fails the job with this reason.
   */
  problem: string | null;
  idempotencyKey: string | null;
  batchId: string | null;
  messageId: string | null;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
}

/**
 * Host apps may insert rows by hand, so an address column may hold a JSON list, a JSON
 * string, or (on SQLite, where JSON is text) a bare comma-separated string.
 */
export function readAddresses(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  let parsed: unknown = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = value;
    }
  }
  if (Array.isArray(parsed)) return parsed.map(String).filter((s) => s.trim() !== "");
  if (typeof parsed === "string") {
    return parsed
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  }
  return [];
}

/**
 * What a send needs of a job it claimed: what PostgreSQL's claim returns (pg.ts), and what SQLite
 * reads after its claim (claimedRowsOn in sqlite-queue-sql.ts). The claim's own values (status,
 * lease, updated_at) are filled in from what it wrote rather than read back: on PostgreSQL,
 * returning every column parsed five instants a job and a third more columns, an eighth of the
 * process's time in a drain (a CPU profile).
 */
export const CLAIMED_COLUMNS = [
  ...MESSAGE_COLUMNS,
  "attempts",
  "max_attempts",
  "transport_failures",
  "recipients",
  "run_at",
  "message_id",
  "created_at",
] as const;

/**
 * A job a claim returned (CLAIMED_COLUMNS), under the lease `holder` took until `expires` at
 * `at`. The row gets the claim's values in place: a copy made by spreading it was slow to read,
 * and took jobFromRow from 20 to 250 ms of a PostgreSQL drain of 20,000 jobs.
 */
export function claimedJob(row: Row, claim: { holder: string; expires: number | Date; at: number | Date }): EmailJob {
  row.status = "sending";
  row.lease_holder = claim.holder;
  row.lease_expires_at = claim.expires;
  row.updated_at = claim.at;
  return jobFromRow(row);
}

/**
 * A claimed row read as CLAIMED_COLUMNS' values in order (SQLite's raw mode), with the claim's
 * own values, as the Row jobFromRow reads. One object literal, so every row has the same shape
 * from the start: filling an empty object column by column, then adding the claim's values
 * (claimedJob), cost the main thread of a SQLite drain twice what this does (a CPU profile:
 * 78 ms against 20,000 jobs). A test holds the order to CLAIMED_COLUMNS.
 */
export function claimedRow(v: readonly unknown[], claim: { holder: string; expires: number; at: number }): Row {
  return {
    id: v[0],
    to_addrs: v[1],
    cc_addrs: v[2],
    bcc_addrs: v[3],
    from_addr: v[4],
    reply_to: v[5],
    subject: v[6],
    text_body: v[7],
    html_body: v[8],
    template_id: v[9],
    variables: v[10],
    headers: v[11],
    priority: v[12],
    attempts: v[13],
    max_attempts: v[14],
    transport_failures: v[15],
    recipients: v[16],
    run_at: v[17],
    message_id: v[18],
    created_at: v[19],
    status: "sending",
    lease_holder: claim.holder,
    lease_expires_at: claim.expires,
    updated_at: claim.at,
  };
}

/**
 * A JSON object column a host app may have written by hand. Unparseable text or another JSON
 * type is reported, not dropped: a message sent without the headers its sender asked for is
 * worse than one that fails with the reason.
 */
function readJsonObject<T>(value: unknown, field: string, shape: string, problems: string[]): T | null {
  let parsed: unknown;
  try {
    parsed = fromJson<unknown>(value, null);
  } catch (error) {
    problems.push(`${field} is not valid JSON (${(error as Error).message})`);
    return null;
  }
  if (parsed === null) return null;
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    problems.push(`${field} must be ${shape}, not ${Array.isArray(parsed) ? "an array" : typeof parsed}`);
    return null;
  }
  return parsed as T;
}

function readStringList(value: unknown): string[] | null {
  try {
    const parsed = fromJson<unknown>(value, null);
    return Array.isArray(parsed) ? parsed.map(String) : null;
  } catch {
    return null;
  }
}

const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export function jobFromRow(row: Row): EmailJob {
  const problems: string[] = [];
  const variables = readJsonObject<Record<string, unknown>>(row.variables, "variables", "an object", problems);
  const headers = readJsonObject<Record<string, string>>(row.headers, "headers", "an object of strings", problems);
  return {
    id: String(row.id),
    to: readAddresses(row.to_addrs),
    cc: readAddresses(row.cc_addrs),
    bcc: readAddresses(row.bcc_addrs),
    from: str(row.from_addr),
    replyTo: str(row.reply_to),
    subject: str(row.subject) ?? "",
    text: str(row.text_body),
    html: str(row.html_body),
    templateId: str(row.template_id),
    variables,
    headers,
    priority: Number(row.priority ?? 0),
    status: String(row.status) as EmailStatus,
    attempts: Number(row.attempts ?? 0),
    maxAttempts: num(row.max_attempts),
    runAt: toDate(row.run_at) as Date,
    leaseHolder: str(row.lease_holder),
    leaseExpiresAt: toDate(row.lease_expires_at),
    lastError: str(row.last_error),
    lastSmtpCode: num(row.last_smtp_code),
    rejected: readStringList(row.rejected),
    recipients: readRecipientState(row.recipients),
    transportFailures: Number(row.transport_failures ?? 0),
    problem: problems[0] ?? null,
    idempotencyKey: str(row.idempotency_key),
    batchId: str(row.batch_id),
    messageId: str(row.message_id),
    ...storedTimes(row),
    sentAt: toDate(row.sent_at),
  };
}

/** The job as the API shows it: everything but the bodies and the template variables. */
export function jobSummary(job: EmailJob): Record<string, unknown> {
  return {
    id: job.id,
    status: job.status,
    to: job.to,
    cc: job.cc,
    bcc: job.bcc,
    from: job.from,
    replyTo: job.replyTo,
    subject: job.subject,
    templateId: job.templateId,
    priority: job.priority,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    runAt: job.runAt.toISOString(),
    leaseHolder: job.leaseHolder,
    leaseExpiresAt: job.leaseExpiresAt?.toISOString() ?? null,
    lastError: job.lastError,
    lastSmtpCode: job.lastSmtpCode,
    rejected: job.rejected,
    recipients: recipientView(job.status, [...job.to, ...job.cc, ...job.bcc], job.recipients, {
      error: job.lastError,
      code: job.lastSmtpCode,
    }),
    idempotencyKey: job.idempotencyKey,
    batchId: job.batchId,
    messageId: job.messageId,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    sentAt: job.sentAt?.toISOString() ?? null,
  };
}

/** The order jobs are sent in: lowest priority first, then the longest due, then by id. */
export function byPriority(a: EmailJob, b: EmailJob): number {
  return a.priority - b.priority || a.runAt.getTime() - b.runAt.getTime() || Number(a.id) - Number(b.id);
}
