// The email queue (PostgreSQL). Host apps may insert rows straight into email_jobs: every
// column a worker needs has a default, so `to_addrs`, `subject` and a body are enough.
import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const emailJobs = pgTable(
  "email_jobs",
  {
    // A bigint from the table's identity sequence (issue 11): an eighth of the text UUID's
    // width in every index that carries the key. node-postgres reads it as a string.
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    /** The text id a job had before pg 0012 (a UUIDv7), still found by the API and CLI. */
    legacyId: text("legacy_id"),
    toAddrs: jsonb("to_addrs").notNull(),
    ccAddrs: jsonb("cc_addrs").notNull().default(sql`'[]'::jsonb`),
    bccAddrs: jsonb("bcc_addrs").notNull().default(sql`'[]'::jsonb`),
    fromAddr: text("from_addr"),
    replyTo: text("reply_to"),
    subject: text("subject").notNull().default(""),
    textBody: text("text_body"),
    htmlBody: text("html_body"),
    templateId: text("template_id"),
    variables: jsonb("variables"),
    headers: jsonb("headers"),
    priority: integer("priority").notNull().default(0),
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts"),
    /** Times its sender died holding it (the lease ran out); a job that keeps doing that fails. */
    leaseExpiries: integer("lease_expiries").notNull().default(0),
    /** Sends that failed in the transport (server unreachable) and spent no attempt; bounded, see outcomes.ts. */
    transportFailures: integer("transport_failures").notNull().default(0),
    runAt: ts("run_at").notNull().defaultNow(),
    leaseHolder: text("lease_holder"),
    leaseExpiresAt: ts("lease_expires_at"),
    lastError: text("last_error"),
    lastSmtpCode: integer("last_smtp_code"),
    /** Per-recipient state once a server refused some recipients: {delivered, pending, refused}; null before. */
    recipients: jsonb("recipients"),
    rejected: jsonb("rejected"),
    idempotencyKey: text("idempotency_key"),
    batchId: text("batch_id"),
    messageId: text("message_id"),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    sentAt: ts("sent_at"),
  },
  (t) => [
    check("email_jobs_status_check", sql`${t.status} in ('pending','sending','sent','failed','cancelled')`),
    // Partial where they can be (issue 11): an insert writes only the indexes its row belongs in,
    // and a new job (pending, mostly with no key and no batch) belongs only in the pending one.
    uniqueIndex("email_jobs_legacy_id_unique").on(t.legacyId).where(sql`legacy_id is not null`),
    uniqueIndex("email_jobs_idempotency_key_unique").on(t.idempotencyKey).where(sql`idempotency_key is not null`),
    // Pending jobs only, by priority then due time: a claim and the oldest-pending age read one
    // range per priority value (a loose scan; priorities are few), never the jobs scheduled ahead.
    // The admin list of pending jobs pages through it in that order, the order they go out, with
    // the id last to tell apart the jobs of one bulk enqueue (one run_at).
    index("email_jobs_pending_idx").on(t.priority, t.runAt, t.id).where(sql`status = 'pending'`),
    index("email_jobs_batch_idx").on(t.batchId).where(sql`batch_id is not null`),
    // Finished jobs by age, for the cleanup, the failed list and the admin list of a finished
    // status (most recently finished first). SQLite uses a partial index only when the query
    // repeats its condition word for word: see store/finished.ts.
    index("email_jobs_updated_idx").on(t.status, t.updatedAt).where(sql`status in ('sent', 'failed', 'cancelled')`),
    // The jobs in flight, few at any time: the reaper, the heartbeat and the admin list of
    // 'sending' read it. It replaced a (status, id) index over every job, which a claim and a
    // settle each had to move (sqlite 0013, pg 0011: an eighth of their time on SQLite).
    index("email_jobs_sending_idx").on(t.id).where(sql`status = 'sending'`),
  ],
);
