import { uuidv7 } from "../../../core/ids.js";
import type { WakeHub } from "../../../core/wake.js";
import { type EmailMessage, type EmailStatus, MESSAGE_COLUMNS } from "../store/job.js";
import { defaultTemplatesDir, TemplateRenderer } from "./templates.js";
import type { EmailInput } from "./validate.js";
import { normalizeEmail, type ValidationRules } from "./validate.js";

/**
 * How an enqueue becomes rows: every input validated and any template rendered first, then
 * written by the dialect's writer (sqlite-insert.ts: multi-row INSERTs; pg-insert.ts: one
 * `unnest` INSERT a chunk), an idempotency key already taken answered with the job that holds
 * it. `enqueueEmail` (enqueue.ts) is the one way in; this is its machinery.
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

/** A message field as the writers bind it: a list or an object goes as its JSON text. */
type Bound<T> = T extends object ? string : T;

/**
 * One validated job as the writers store it: the message's fields (job.ts's EmailMessage) with
 * JSON columns already text, then instants as epoch milliseconds. Status and attempts are the
 * same for every new job, so they are not here.
 */
export interface PreparedRow extends BoundMessage {
  maxAttempts: number | null;
  runAt: number;
  idempotencyKey: string | null;
  batchId: string | null;
  messageId: string;
  createdAt: number;
}

type BoundMessage = { [K in keyof EmailMessage]: Bound<EmailMessage[K]> };

/**
 * The columns both writers fill from a PreparedRow, in its order (SQLite adds updated_at). Not
 * the id: the database gives it (SQLite's rowid; on PostgreSQL the writer takes it from the
 * table's sequence first).
 */
export const INSERT_COLUMNS = [
  ...MESSAGE_COLUMNS.filter((column) => column !== "id"),
  "max_attempts",
  "run_at",
  "idempotency_key",
  "batch_id",
  "message_id",
  "created_at",
] as const;

const renderers = new Map<string, TemplateRenderer>();

function rendererFor(dir: string): TemplateRenderer {
  let renderer = renderers.get(dir);
  if (!renderer) {
    renderer = new TemplateRenderer(dir);
    renderers.set(dir, renderer);
  }
  return renderer;
}

let defaultDir: string | undefined;

const json = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));

/** An address list's JSON; most jobs have no cc or bcc, and "[]" needs no serializer. */
const listJson = (list: readonly string[]): string => (list.length === 0 ? "[]" : JSON.stringify(list));

/**
 * Validates and renders every input first, so one bad input in a batch stores nothing. The
 * batch shares one template lookup (each template checked on disk and parsed once).
 */
export function prepareRows(inputs: readonly EmailInput[], options: EnqueueOptions): PreparedRow[] {
  defaultDir ??= defaultTemplatesDir();
  const renderer = rendererFor(options.templatesDir ?? defaultDir);
  const rules: ValidationRules = {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    templates: inputs.length > 1 ? renderer.forBatch() : renderer,
  };
  const domain = options.messageIdDomain ?? DEFAULT_MESSAGE_ID_DOMAIN;
  const now = options.now.getTime();
  const maxAttempts = options.maxAttempts ?? null;
  const rows = new Array<PreparedRow>(inputs.length);
  for (let i = 0; i < inputs.length; i += 1) {
    const email = normalizeEmail(inputs[i] as EmailInput, rules);
    rows[i] = {
      to: listJson(email.to),
      cc: listJson(email.cc),
      bcc: listJson(email.bcc),
      from: email.from,
      replyTo: email.replyTo,
      subject: email.subject,
      text: email.text,
      html: email.html,
      templateId: email.templateId,
      variables: json(email.variables),
      headers: json(email.headers),
      priority: email.priority,
      maxAttempts,
      runAt: email.sendAt ? email.sendAt.getTime() : now,
      idempotencyKey: email.idempotencyKey,
      batchId: email.batchId,
      // Unique without the id, which the database gives only at the insert.
      messageId: `<${uuidv7(options.now)}@${domain}>`,
      createdAt: now,
    };
  }
  return rows;
}

/** True when some row carries an idempotency key, which may already be taken. */
export const anyKeyed = (rows: readonly PreparedRow[]): boolean => rows.some((r) => r.idempotencyKey !== null);

export const createdResult = (id: string): EnqueueResult => ({ id, status: "pending", created: true });

export interface ExistingRow {
  id: string | number;
  status: EmailStatus;
  idempotency_key: string;
}

/** Keys to look up at once; far below either dialect's parameter limit. */
export const KEYS_PER_LOOKUP = 1000;

/**
 * After the INSERTs, every input's result in order. `storedIds` holds the id each row was
 * stored under, or undefined where its idempotency key was taken (before, or by an earlier row
 * of the same batch): those keys are looked up, a slice of at most KEYS_PER_LOOKUP at a time,
 * the generator yielding each slice and being handed the rows found. It runs no query itself,
 * so both dialects' writers, each with its own way of running the lookup, share the one loop.
 */
export function* storedResults(
  rows: readonly PreparedRow[],
  storedIds: readonly (string | undefined)[],
): Generator<string[], EnqueueResult[], ExistingRow[]> {
  const heldKeys = new Set<string>();
  for (let i = 0; i < rows.length; i += 1) {
    if (storedIds[i] !== undefined) continue;
    const key = (rows[i] as PreparedRow).idempotencyKey;
    if (key === null) throw new Error("an email job without an idempotency key was not stored");
    heldKeys.add(key);
  }
  const byKey = new Map<string, ExistingRow>();
  for (const keys of chunked([...heldKeys], KEYS_PER_LOOKUP)) {
    if (keys.length === 0) continue;
    for (const found of yield keys) byKey.set(found.idempotency_key, found);
  }
  return rows.map((row, i) => {
    const id = storedIds[i];
    if (id !== undefined) return createdResult(id);
    const found = byKey.get(row.idempotencyKey as string);
    if (!found) throw new Error("email job was neither inserted nor found by its idempotency key");
    return { id: String(found.id), status: found.status, created: false };
  });
}

export function existingByKeysStatement(keys: number): string {
  return `select id, status, idempotency_key from email_jobs where idempotency_key in (${Array.from({ length: keys }, () => "?").join(", ")})`;
}

/** Splits `items` into slices of at most `size`. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  if (items.length <= size) return [items as T[]];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
