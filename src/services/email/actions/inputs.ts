import { UserError } from "../../../core/errors.js";
import { parseInstant } from "../../../core/instant.js";
import { emailInputFromJson } from "../enqueue/http-input.js";
import type { EmailInput } from "../enqueue/validate.js";
import { EmailValidationError } from "../enqueue/validation-error.js";
import type { EmailStatus } from "../store/job.js";
import { EMAIL_STATUSES } from "../store/job.js";
import { type JobFilter, LIST_KEY_LENGTH, type ListPosition, listOrderOf } from "../store/queries.js";

/**
 * The operator's inputs to the queue's actions as text (a query string, a JSON body, CLI
 * options), checked into typed values. Each refusal is one line naming the field.
 */

/** The filter as text: the list's query string, or the CLI's options. Blank means not given. */
export type RawFilter = Partial<Record<keyof JobFilter, string>>;

const FILTER_KEYS = ["status", "recipient", "batchId", "createdFrom", "createdTo", "sentFrom", "sentTo"] as const;
const LIST_KEYS = new Set<string>([...FILTER_KEYS, "limit", "cursor"]);

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

export function parseJobFilter(raw: RawFilter): JobFilter {
  const filter: JobFilter = {};
  const given = (key: keyof JobFilter) => {
    const value = raw[key]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const status = given("status");
  if (status !== undefined) {
    if (!(EMAIL_STATUSES as readonly string[]).includes(status)) {
      throw new UserError(`status "${status}" is not one of ${EMAIL_STATUSES.join(", ")}`);
    }
    filter.status = status as EmailStatus;
  }
  for (const key of ["recipient", "batchId"] as const) {
    const value = given(key);
    if (value !== undefined && value.length > 320) throw new UserError(`${key} is longer than 320 characters`);
    if (value !== undefined) filter[key] = value;
  }
  for (const key of ["createdFrom", "createdTo", "sentFrom", "sentTo"] as const) {
    const value = given(key);
    if (value !== undefined) filter[key] = parseInstant(value, key);
  }
  return filter;
}

/** The list's page: `limit` (1-500) and the `cursor` a previous page answered. */
export function parsePage(
  limit: string | undefined,
  cursor: string | undefined,
): { limit: number; after: ListPosition | null } {
  let n = DEFAULT_PAGE;
  if (limit !== undefined && limit !== "") {
    n = Number(limit);
    if (!/^\d+$/.test(limit) || n < 1 || n > MAX_PAGE)
      throw new UserError(`limit must be a whole number from 1 to ${MAX_PAGE}`);
  }
  return { limit: n, after: cursor === undefined || cursor === "" ? null : decodeCursor(cursor) };
}

/** GET /emails's query: unknown keys are refused, so a misspelt `stauts` does not list everything. */
export function listQuery(query: URLSearchParams): {
  filter: JobFilter;
  page: { limit: number; after: ListPosition | null };
} {
  const unknown = [...new Set(query.keys())].filter((key) => !LIST_KEYS.has(key));
  if (unknown.length > 0) {
    throw new UserError(
      `unknown parameter${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (known: ${[...LIST_KEYS].join(", ")})`,
    );
  }
  for (const key of LIST_KEYS) {
    if (query.getAll(key).length > 1) throw new UserError(`${key} is given more than once`);
  }
  const raw: RawFilter = {};
  for (const key of FILTER_KEYS) raw[key] = query.get(key) ?? undefined;
  return {
    filter: parseJobFilter(raw),
    page: parsePage(query.get("limit") ?? undefined, query.get("cursor") ?? undefined),
  };
}

/**
 * Opaque to clients, and only a position: the list's order and the last row's key in it (see
 * ListOrder). The filter is sent again with each page, so a cursor carries nothing a client
 * could widen.
 */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

function decodeCursor(cursor: string): ListPosition {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Partial<ListPosition> | null;
    const order = parsed?.order;
    const key = parsed?.key;
    if (
      typeof order === "string" &&
      Object.hasOwn(LIST_KEY_LENGTH, order) &&
      Array.isArray(key) &&
      key.length === LIST_KEY_LENGTH[order] &&
      key.every((v) => typeof v === "string" || (typeof v === "number" && Number.isFinite(v)))
    ) {
      return { order, key };
    }
  } catch {
    // refused below
  }
  throw new UserError("cursor is not one this API answered: pass nextCursor back unchanged");
}

/** A cursor from a list of one order cannot page a list of another. */
export function checkCursorFits(filter: JobFilter, after: ListPosition | null): void {
  if (after !== null && after.order !== listOrderOf(filter.status)) {
    throw new UserError("cursor is from a list with another status: pass it with the filter it came with");
  }
}

/** A JSON body that must be an object with only `known` fields (an empty `{}` for most actions). */
export function objectBody(body: unknown, known: readonly string[] = []): Record<string, unknown> {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new UserError("the body must be a JSON object");
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    const expected = known.length === 0 ? "this action takes none: send {}" : `known: ${known.join(", ")}`;
    throw new UserError(`unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (${expected})`);
  }
  return record;
}

const optionalText = (record: Record<string, unknown>, key: string): string | undefined => {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new UserError(`${key} must be a string`);
  return value;
};

/** A whole number in [min, max], or undefined when absent. */
export function optionalInt(
  record: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
): number | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new UserError(`${key} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** POST /emails/retry-failed: `{recipient?, batchId?, max?}`. */
export function retryFailedBody(body: unknown): { filter: Pick<JobFilter, "recipient" | "batchId">; max?: number } {
  const record = objectBody(body, ["recipient", "batchId", "max"]);
  const filter = parseJobFilter({
    recipient: optionalText(record, "recipient"),
    batchId: optionalText(record, "batchId"),
  });
  return { filter, max: optionalInt(record, "max", 1, MAX_RETRY) };
}

export const MAX_RETRY = 1_000_000;
export const MAX_BATCH = 10_000;

/**
 * POST /emails/batch: `{batchId?, jobs: [...]}`, each job a POST /emails body. A job may name
 * the batch too, but not another one.
 */
export function batchBody(body: unknown): { batchId?: string; jobs: EmailInput[] } {
  const record = objectBody(body, ["batchId", "jobs"]);
  const batchId = optionalText(record, "batchId");
  const jobs = record.jobs;
  if (!Array.isArray(jobs) || jobs.length === 0 || jobs.length > MAX_BATCH) {
    throw new UserError(`jobs must be a list of 1 to ${MAX_BATCH} emails`);
  }
  return {
    batchId,
    jobs: jobs.map((job, i) => {
      try {
        return emailInputFromJson(job);
      } catch (error) {
        if (error instanceof EmailValidationError) throw new EmailValidationError(`jobs[${i}]: ${error.message}`);
        throw error;
      }
    }),
  };
}
