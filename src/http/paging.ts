import { HttpError } from "./http-error.js";

/** What every list route answers: one page, and the cursor of the next (null at the end). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  /** The decoded cursor: the sort key of the last item of the page before. */
  after: Record<string, unknown> | undefined;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/**
 * `?limit=&cursor=` of a list route. The cursor is opaque to clients (base64url JSON of the
 * last row's sort key): keyset paging costs the same on page 1,000 as on page 1, where an
 * offset would read and skip every row before it.
 */
export function pageRequest(query: URLSearchParams): PageRequest {
  const rawLimit = query.get("limit");
  const limit = rawLimit === null || rawLimit === "" ? DEFAULT_LIMIT : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new HttpError(400, `limit: give a whole number from 1 to ${MAX_LIMIT}, not ${JSON.stringify(rawLimit)}`);
  }
  const cursor = query.get("cursor");
  if (cursor === null || cursor === "") return { limit, after: undefined };
  try {
    const after: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (typeof after === "object" && after !== null && !Array.isArray(after)) {
      return { limit, after: after as Record<string, unknown> };
    }
  } catch {
    // answered below
  }
  throw new HttpError(400, "cursor: not a cursor this server gave (pass nextCursor back unchanged)");
}

/**
 * A page from `rows` read with `limit + 1`: the extra row only says whether another page
 * exists, and the cursor is the key of the last row shown.
 */
export function pageOf<R, T>(
  rows: readonly R[],
  limit: number,
  key: (row: R) => unknown,
  item: (row: R) => T,
): Page<T> {
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  const more = rows.length > limit && last !== undefined;
  return {
    items: shown.map(item),
    nextCursor: more ? Buffer.from(JSON.stringify(key(last))).toString("base64url") : null,
  };
}

/** A cursor field that must be a string. */
export function cursorText(after: Record<string, unknown>, field: string): string {
  const value = after[field];
  if (typeof value !== "string") throw new HttpError(400, "cursor: not a cursor this server gave");
  return value;
}

/** A cursor field that must be a whole number: a serial id, for lists newest first by id. */
export function cursorSerial(after: Record<string, unknown>, field: string): number {
  const value = Number(after[field]);
  if (!Number.isInteger(value)) throw new HttpError(400, "cursor: not a cursor this server gave");
  return value;
}

/** A cursor field that must be an instant (milliseconds). */
export function cursorTime(after: Record<string, unknown>, field: string): Date {
  const value = after[field];
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new HttpError(400, "cursor: not a cursor this server gave");
  return new Date(value);
}
