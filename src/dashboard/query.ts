// URLs for the admin API. Pure: the tests check the exact query strings the server receives.
import { localInputToIso } from "./format.js";

export type QueryValue = string | number | boolean | null | undefined;

/** `path?k=v&...`, leaving out empty values so a blank filter field sends nothing. */
export function withQuery(path: string, params: Record<string, QueryValue>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    query.set(key, String(value));
  }
  const text = query.toString();
  return text === "" ? path : `${path}?${text}`;
}

/** The job list's filters as the form holds them: created and sent times are `datetime-local` values. */
export interface EmailFilters {
  status: string;
  recipient: string;
  batchId: string;
  createdFrom: string;
  createdTo: string;
  sentFrom: string;
  sentTo: string;
}

export const EMAIL_FILTER_KEYS = [
  "status",
  "recipient",
  "batchId",
  "createdFrom",
  "createdTo",
  "sentFrom",
  "sentTo",
] as const;

export function emptyEmailFilters(): EmailFilters {
  return { status: "", recipient: "", batchId: "", createdFrom: "", createdTo: "", sentFrom: "", sentTo: "" };
}

/** Filters from the page address (`#/email?status=failed`), unknown keys ignored. */
export function emailFiltersFrom(params: URLSearchParams): EmailFilters {
  const filters = emptyEmailFilters();
  for (const key of EMAIL_FILTER_KEYS) filters[key] = params.get(key)?.trim() ?? "";
  return filters;
}

export function emailListUrl(filters: EmailFilters, cursor: string | null, limit: number): string {
  return withQuery("/emails", {
    status: filters.status,
    recipient: filters.recipient,
    batchId: filters.batchId,
    createdFrom: localInputToIso(filters.createdFrom),
    createdTo: localInputToIso(filters.createdTo),
    sentFrom: localInputToIso(filters.sentFrom),
    sentTo: localInputToIso(filters.sentTo),
    limit,
    cursor,
  });
}

/** The body of "retry all failed": the list's recipient and batch filters carry over. */
export function retryFailedBody(filters: EmailFilters): { recipient?: string; batchId?: string } {
  const body: { recipient?: string; batchId?: string } = {};
  if (filters.recipient !== "") body.recipient = filters.recipient;
  if (filters.batchId !== "") body.batchId = filters.batchId;
  return body;
}

/** A path segment for an id from the API, which may hold any character. */
export const idPath = (prefix: string, id: string, suffix = ""): string =>
  `${prefix}/${encodeURIComponent(id)}${suffix}`;

/** The list's heading, which says its order: each status has its own (GET /emails). */
export function jobsHeading(status: string): string {
  if (status === "pending") return "Pending email jobs, next to go out first";
  if (status === "sending") return "Email jobs being sent, newest first";
  if (status === "") return "Email jobs, newest first";
  return `${status[0]?.toUpperCase()}${status.slice(1)} email jobs, last finished first`;
}
