import { uuidv7 } from "../../core/ids.js";
import type { Sql } from "../../db/sql.js";
import { jsonParam } from "../../db/sql.js";

/**
 * The email queue's public enqueue function: the only way other services (and host apps)
 * hand it mail. It takes any executor, including a transaction's, so a caller's own rows and
 * the email job commit or roll back together (the outbox pattern).
 */

export type EmailStatus = "pending" | "sending" | "sent" | "failed" | "cancelled";

export interface EmailInput {
  to: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  from?: string;
  replyTo?: string;
  subject?: string;
  text?: string;
  html?: string;
  templateId?: string;
  variables?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Lower runs first; default 0. */
  priority?: number;
  /** Earliest send time; default now. */
  sendAt?: Date;
  /** Unique when given: enqueueing the same key again returns the job already stored. */
  idempotencyKey?: string;
  batchId?: string;
}

export interface EnqueueOptions {
  now: Date;
  maxAttempts?: number;
  /** Right-hand side of the Message-ID fixed at enqueue. */
  messageIdDomain?: string;
}

export interface EnqueueResult {
  id: string;
  status: EmailStatus;
  /** False when the idempotency key matched a job already stored. */
  created: boolean;
}

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

export async function enqueueEmail(sql: Sql, input: EmailInput, options: EnqueueOptions): Promise<EnqueueResult> {
  const id = uuidv7(options.now);
  const messageId = `<${id}@${options.messageIdDomain ?? "steward.local"}>`;
  const inserted = await sql.get<{ id: string; status: EmailStatus }>(
    `insert into email_jobs (id, to_addrs, cc_addrs, bcc_addrs, from_addr, reply_to, subject, text_body, html_body,
       template_id, variables, headers, priority, status, attempts, max_attempts, run_at, idempotency_key, batch_id,
       message_id, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, ?, ?)
     on conflict do nothing
     returning id, status`,
    [
      id,
      jsonParam(list(input.to)),
      jsonParam(list(input.cc)),
      jsonParam(list(input.bcc)),
      input.from ?? null,
      input.replyTo ?? null,
      input.subject ?? "",
      input.text ?? null,
      input.html ?? null,
      input.templateId ?? null,
      jsonParam(input.variables),
      jsonParam(input.headers),
      input.priority ?? 0,
      options.maxAttempts ?? null,
      input.sendAt ?? options.now,
      input.idempotencyKey ?? null,
      input.batchId ?? null,
      messageId,
      options.now,
      options.now,
    ],
  );
  if (inserted) return { ...inserted, created: true };
  const existing = await sql.get<{ id: string; status: EmailStatus }>(
    "select id, status from email_jobs where idempotency_key = ?",
    [input.idempotencyKey ?? null],
  );
  if (!existing) throw new Error("email job was neither inserted nor found by its idempotency key");
  return { ...existing, created: false };
}
