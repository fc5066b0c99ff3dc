// The email queue (SQLite). Host apps may insert rows straight into email_jobs: every
// column a worker needs has a default, so `to_addrs`, `subject` and a body are enough.
import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const ts = (name: string) => integer(name, { mode: "timestamp_ms" });
// julianday rather than unixepoch('subsec'): host apps writing these tables may link a SQLite
// older than 3.42 (Debian 12's, Python's), where the latter does not exist.
const nowMs = sql`(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))`;

export const emailJobs = sqliteTable(
  "email_jobs",
  {
    // The rowid itself (issue 11): a job's key is SQLite's own, so the table has no second
    // b-tree for it. Not AUTOINCREMENT, whose sqlite_sequence row cost an enqueue nearly all
    // the key saves (`npm run bench -- row-layout`): SQLite gives a new row the largest id plus
    // one, and the cleanup never deletes the newest job, so an id is never handed out twice.
    id: integer("id").primaryKey(),
    /** The text id a job had before sqlite 0014 (a UUIDv7), still found by the API and CLI. */
    legacyId: text("legacy_id"),
    toAddrs: text("to_addrs", { mode: "json" }).notNull(),
    ccAddrs: text("cc_addrs", { mode: "json" }).notNull().default(sql`'[]'`),
    bccAddrs: text("bcc_addrs", { mode: "json" }).notNull().default(sql`'[]'`),
    fromAddr: text("from_addr"),
    replyTo: text("reply_to"),
    subject: text("subject").notNull().default(""),
    textBody: text("text_body"),
    htmlBody: text("html_body"),
    templateId: text("template_id"),
    variables: text("variables", { mode: "json" }),
    headers: text("headers", { mode: "json" }),
    priority: integer("priority").notNull().default(0),
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts"),
    /** Times its sender died holding it (the lease ran out); a job that keeps doing that fails. */
    leaseExpiries: integer("lease_expiries").notNull().default(0),
    /** Sends that failed in the transport (server unreachable) and spent no attempt; bounded, see outcomes.ts. */
    transportFailures: integer("transport_failures").notNull().default(0),
    runAt: ts("run_at").notNull().default(nowMs),
    leaseHolder: text("lease_holder"),
    leaseExpiresAt: ts("lease_expires_at"),
    lastError: text("last_error"),
    lastSmtpCode: integer("last_smtp_code"),
    /** Per-recipient state once a server refused some recipients: {delivered, pending, refused}; null before. */
    recipients: text("recipients", { mode: "json" }),
    rejected: text("rejected", { mode: "json" }),
    idempotencyKey: text("idempotency_key"),
    batchId: text("batch_id"),
    messageId: text("message_id"),
    createdAt: ts("created_at").notNull().default(nowMs),
    updatedAt: ts("updated_at").notNull().default(nowMs),
    sentAt: ts("sent_at"),
  },
  (t) => [
    // Equalities, not an IN list: SQLite evaluates an IN list of more than two constants by
    // building a temporary b-tree for it at every run of the statement, which was a fifth of a
    // one-job INSERT's work (sqlite 0016).
    check(
      "email_jobs_status_check",
      sql`${t.status} = 'pending' or ${t.status} = 'sending' or ${t.status} = 'sent' or ${t.status} = 'failed' or ${t.status} = 'cancelled'`,
    ),
    // A CHECK rather than the BEFORE INSERT trigger it replaced (sqlite 0019): any insert trigger
    // on the table makes SQLite run a subprogram for every row and copy a multi-row INSERT into
    // a temporary table first. Named for the message it gives ("CHECK constraint failed: ...").
    // A text run_at passes, as it did: it is not an instant out of a Date's range.
    check(
      "run_at is out of range",
      sql`${t.runAt} between -8640000000000000 and 8640000000000000 or (typeof(${t.runAt}) <> 'integer' and typeof(${t.runAt}) <> 'real')`,
    ),
    // Partial where they can be (issue 11): an insert writes only the indexes its row belongs in,
    // and a new job (pending, mostly with no key and no batch) belongs only in the pending one.
    uniqueIndex("email_jobs_legacy_id_unique").on(t.legacyId).where(sql`legacy_id is not null`),
    uniqueIndex("email_jobs_idempotency_key_unique").on(t.idempotencyKey).where(sql`idempotency_key is not null`),
    // Pending jobs only, by priority then due time: a claim and the oldest-pending age read one
    // range per priority value (a loose scan; priorities are few), never the jobs scheduled ahead.
    // The admin list of pending jobs pages through it in that order, the order they go out, with
    // the rowid last to tell apart the jobs of one bulk enqueue (one run_at).
    index("email_jobs_pending_idx").on(t.priority, t.runAt).where(sql`status = 'pending'`),
    index("email_jobs_batch_idx").on(t.batchId).where(sql`batch_id is not null`),
    // Finished jobs by age, for the cleanup, the failed list and the admin list of a finished
    // status (most recently finished first). SQLite uses a partial index only when the query
    // repeats its condition word for word: see store/finished.ts.
    index("email_jobs_updated_idx")
      .on(t.status, t.updatedAt)
      .where(sql`status = 'sent' or status = 'failed' or status = 'cancelled'`),
    // The jobs in flight, few at any time: the reaper, the heartbeat and the admin list of
    // 'sending' read it. It replaced a (status, id) index over every job, which a claim and a
    // settle each had to move (sqlite 0013, pg 0011: an eighth of their time on SQLite).
    index("email_jobs_sending_idx").on(t.id).where(sql`status = 'sending'`),
  ],
);
