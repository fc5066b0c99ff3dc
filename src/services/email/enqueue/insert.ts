import { uuidv7 } from "../../../core/ids.js";
import type { WakeHub } from "../../../core/wake.js";
import type { Sql } from "../../../db/sql.js";
import { jsonParam } from "../../../db/sql.js";
import { notifyStatement } from "../notify.js";
import { type EmailStatus, MESSAGE_COLUMNS } from "../store/job.js";
import { defaultTemplatesDir, TemplateRenderer } from "./templates.js";
import { type EmailInput, type NormalizedEmail, normalizeEmail } from "./validate.js";

/**
 * How an enqueue becomes rows: every input validated and any template rendered first, then one
 * multi-row INSERT per 1,000 jobs, an idempotency key already taken answered with the job that
 * holds it. `enqueueEmail` (enqueue.ts) is the one way in; this is its machinery, shared by its
 * asynchronous path (any Sql) and its synchronous one (a host app's better-sqlite3 handle).
 */

export interface EnqueueOptions {
  now: Date;
  /** Attempts before the job fails; default EMAIL_RETRY_MAX_ATTEMPTS of the process that sends it. */
  maxAttempts?: number;
  /** Right-hand side of the Message-ID fixed at enqueue. */
  messageIdDomain?: string;
  /** Where templates live; default the templates shipped in Steward's config/templates. */
  templatesDir?: string;
  /** Largest accepted message; default 10 MiB (EMAIL_MAX_BYTES). */
  maxBytes?: number;
  /**
   * The host's wake hub, told of new jobs so that workers in this process claim them at once.
   * Without one (a host app's own process) they are found by NOTIFY on PostgreSQL, or the poll.
   */
  wake?: WakeHub;
}

/** The wake hub's topic for new email jobs. */
export const EMAIL_WAKE = "email";

export interface EnqueueResult {
  id: string;
  status: EmailStatus;
  /** False when the idempotency key matched a job already stored. */
  created: boolean;
}

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MESSAGE_ID_DOMAIN = "steward.local";

const COLUMNS = [
  ...MESSAGE_COLUMNS,
  "status",
  "attempts",
  "max_attempts",
  "run_at",
  "idempotency_key",
  "batch_id",
  "message_id",
  "created_at",
  "updated_at",
] as const;

/** Rows per INSERT: 22 parameters a row stays under SQLite's 32,766 and PostgreSQL's 65,535. */
export const ROWS_PER_STATEMENT = 1000;

export interface PreparedRow {
  id: string;
  idempotencyKey: string | null;
  values: unknown[];
}

const renderers = new Map<string, TemplateRenderer>();

function rendererFor(dir: string): TemplateRenderer {
  let renderer = renderers.get(dir);
  if (!renderer) {
    renderer = new TemplateRenderer(dir);
    renderers.set(dir, renderer);
  }
  return renderer;
}

/** Validates and renders every input first, so one bad input in a batch stores nothing. */
export function prepareRows(inputs: readonly EmailInput[], options: EnqueueOptions): PreparedRow[] {
  const rules = {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    templates: rendererFor(options.templatesDir ?? defaultTemplatesDir()),
  };
  const domain = options.messageIdDomain ?? DEFAULT_MESSAGE_ID_DOMAIN;
  return inputs.map((input) => {
    const email = normalizeEmail(input, rules);
    const id = uuidv7(options.now);
    return { id, idempotencyKey: email.idempotencyKey, values: rowValues(id, email, domain, options) };
  });
}

function rowValues(id: string, email: NormalizedEmail, domain: string, options: EnqueueOptions): unknown[] {
  return [
    id,
    jsonParam(email.to),
    jsonParam(email.cc),
    jsonParam(email.bcc),
    email.from,
    email.replyTo,
    email.subject,
    email.text,
    email.html,
    email.templateId,
    jsonParam(email.variables),
    jsonParam(email.headers),
    email.priority,
    "pending",
    0,
    options.maxAttempts ?? null,
    email.sendAt ?? options.now,
    email.idempotencyKey,
    email.batchId,
    `<${id}@${domain}>`,
    options.now,
    options.now,
  ];
}

const insertCache = new Map<number, string>();

/** One multi-row INSERT; a row whose idempotency key is taken is skipped, not an error. */
export function insertStatement(rows: number): string {
  let text = insertCache.get(rows);
  if (!text) {
    const one = `(${COLUMNS.map(() => "?").join(", ")})`;
    text = `insert into email_jobs (${COLUMNS.join(", ")}) values ${Array.from({ length: rows }, () => one).join(", ")}
      on conflict do nothing returning id, status`;
    insertCache.set(rows, text);
  }
  return text;
}

export function existingByKeysStatement(keys: number): string {
  return `select id, status, idempotency_key from email_jobs where idempotency_key in (${Array.from({ length: keys }, () => "?").join(", ")})`;
}

export interface ExistingRow {
  id: string;
  status: EmailStatus;
  idempotency_key: string;
}

/** Matches what was inserted and what an idempotency key already held back to the inputs, in order. */
export function assembleResults(
  rows: readonly PreparedRow[],
  inserted: ReadonlyArray<{ id: string; status: EmailStatus }>,
  existing: readonly ExistingRow[],
): EnqueueResult[] {
  const insertedIds = new Set(inserted.map((r) => r.id));
  const byKey = new Map(existing.map((r) => [r.idempotency_key, r]));
  return rows.map((row) => {
    if (insertedIds.has(row.id)) return { id: row.id, status: "pending", created: true };
    const found = row.idempotencyKey === null ? undefined : byKey.get(row.idempotencyKey);
    if (!found) throw new Error("email job was neither inserted nor found by its idempotency key");
    return { id: found.id, status: found.status, created: false };
  });
}

/** Rows a batch did not insert: their keys were taken before, or earlier in the same batch. */
export function keysToLookUp(rows: readonly PreparedRow[], insertedIds: ReadonlySet<string>): string[] {
  return [...new Set(rows.filter((r) => !insertedIds.has(r.id)).map((r) => r.idempotencyKey as string))];
}

/** Writes prepared rows with `sql` (the caller's transaction, when it is one) and announces them. */
export async function insertRows(
  sql: Sql,
  rows: readonly PreparedRow[],
  wake: WakeHub | undefined,
): Promise<EnqueueResult[]> {
  const inserted: Array<{ id: string; status: EmailStatus }> = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    inserted.push(
      ...(await sql.all<{ id: string; status: EmailStatus }>(
        insertStatement(chunk.length),
        chunk.flatMap((r) => r.values),
      )),
    );
  }
  const keys = keysToLookUp(rows, new Set(inserted.map((r) => r.id)));
  const existing: ExistingRow[] = [];
  for (let i = 0; i < keys.length; i += ROWS_PER_STATEMENT) {
    const chunk = keys.slice(i, i + ROWS_PER_STATEMENT);
    existing.push(...(await sql.all<ExistingRow>(existingByKeysStatement(chunk.length), chunk)));
  }
  if (inserted.length > 0) {
    // NOTIFY inside the caller's transaction is delivered at its commit, not before.
    if (sql.dialect === "pg") await sql.run(notifyStatement);
    wake?.announce(EMAIL_WAKE);
  }
  return assembleResults(rows, inserted, existing);
}
