import { domainToASCII } from "node:url";
import { fromJson } from "../../../db/sql.js";

/** A recipient the server refused at RCPT TO, with its reply. */
export interface Refusal {
  address: string;
  code: number | null;
  reply: string | null;
}

/**
 * Where each recipient of a job stands, stored (the `recipients` column) once a server has
 * refused some of them; null before that, which means the message's own recipients are all
 * still to be sent, or were all taken at once.
 */
export interface RecipientState {
  /** Taken by the server; never sent to again. */
  delivered: string[];
  /** Refused for now (4xx): the next attempt goes to these alone, with the same Message-ID. */
  pending: Refusal[];
  /** Refused for good (5xx), or given up on when the retries ran out. */
  refused: Refusal[];
}

interface RejectedError {
  recipient?: unknown;
  responseCode?: unknown;
  response?: unknown;
}

/** nodemailer's per-recipient RCPT TO errors (on a result, or on the error when all were refused). */
export function refusalsOf(errors: unknown): Refusal[] {
  if (!Array.isArray(errors)) return [];
  return (errors as RejectedError[]).map((e) => ({
    address: String(e.recipient ?? "?"),
    code: typeof e.responseCode === "number" ? e.responseCode : null,
    reply: typeof e.response === "string" ? e.response : null,
  }));
}

/** Replies are kept for the operator, not in full: a server may answer with a paragraph. */
const REPLY_CHARS = 200;

export function readRecipientState(value: unknown): RecipientState | null {
  let parsed: unknown;
  try {
    parsed = fromJson<unknown>(value, null);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return null;
  const raw = parsed as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? v : []);
  const refusal = (r: unknown): Refusal => {
    const o = (r ?? {}) as Record<string, unknown>;
    return {
      address: String(o.address ?? ""),
      code: typeof o.code === "number" ? o.code : null,
      reply: typeof o.reply === "string" ? o.reply : null,
    };
  };
  return {
    delivered: list(raw.delivered).map(String),
    pending: list(raw.pending).map(refusal),
    refused: list(raw.refused).map(refusal),
  };
}

/**
 * Compares addresses the way the server's answers name them: nodemailer writes the envelope
 * with the domain in punycode, while the stored headers may hold it in Unicode.
 */
export function addressKey(address: string): string {
  const at = address.lastIndexOf("@");
  if (at < 0) return address.toLowerCase();
  const domain = address.slice(at + 1);
  return `${address.slice(0, at)}@${domainToASCII(domain) || domain}`.toLowerCase();
}

/** `"Name" <a@example.com>` or `a@example.com` -> `a@example.com`. */
export function bareAddress(mailbox: string): string {
  return /<([^<>]*)>\s*$/.exec(mailbox)?.[1] ?? mailbox.trim();
}

/** The recipients this attempt goes to: all of them, less those delivered or refused for good. */
export function stillToSend(all: readonly string[], state: RecipientState): string[] {
  const done = new Set([...state.delivered, ...state.refused.map((r) => r.address)].map(addressKey));
  const seen = new Set<string>();
  return all.filter((address) => {
    const key = addressKey(address);
    if (done.has(key) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The state after one attempt: the accepted join `delivered`, each refusal becomes pending
 * (4xx) or refused (5xx, or no code). With `giveUp` set (retries ran out), a temporary
 * refusal is final too, its reply prefixed with why.
 */
export function afterAttempt(
  prior: RecipientState | null,
  accepted: readonly string[],
  refusals: readonly Refusal[],
  giveUp: string | null,
): RecipientState {
  const delivered = [...(prior?.delivered ?? [])];
  const known = new Set(delivered.map(addressKey));
  for (const address of accepted) {
    if (!known.has(addressKey(address))) delivered.push(address);
    known.add(addressKey(address));
  }
  const pending: Refusal[] = [];
  const refused = [...(prior?.refused ?? [])];
  for (const r of refusals) {
    const entry = { address: r.address, code: r.code, reply: r.reply === null ? null : clip(r.reply) };
    const temporary = r.code !== null && r.code >= 400 && r.code < 500;
    if (temporary && giveUp === null) pending.push(entry);
    else refused.push(temporary ? { ...entry, reply: clip(`${giveUp}: ${r.reply ?? ""}`) } : entry);
  }
  return { delivered, pending, refused };
}

/** `a@x: 451 try later; b@y: 550 no such user`, for the job's last_error. */
export function describeRefusals(refusals: readonly Refusal[]): string {
  return refusals.map((r) => `${r.address}: ${r.reply ?? r.code ?? "refused"}`).join("; ");
}

/**
 * What `email show` and GET /emails/<id> say about the recipients: delivered, pending (with
 * the temporary refusal, if there was one) and refused (with the reply). For a job never
 * partly refused, what its status implies for all of them.
 */
export function recipientView(
  status: string,
  all: readonly string[],
  state: RecipientState | null,
  last: { error: string | null; code: number | null },
): RecipientState {
  const everyone = all.map(bareAddress);
  const waiting = status === "pending" || status === "sending";
  if (state) {
    if (!waiting) return state;
    const deferred = new Map(state.pending.map((r) => [addressKey(r.address), r]));
    const pending = stillToSend(everyone, state).map(
      (address) => deferred.get(addressKey(address)) ?? { address, code: null, reply: null },
    );
    return { delivered: state.delivered, pending, refused: state.refused };
  }
  if (status === "sent") return { delivered: everyone, pending: [], refused: [] };
  if (status === "failed") {
    return { delivered: [], pending: [], refused: everyone.map((address) => ({ address, ...reply(last) })) };
  }
  if (status === "cancelled") return { delivered: [], pending: [], refused: [] };
  return { delivered: [], pending: everyone.map((address) => ({ address, code: null, reply: null })), refused: [] };
}

function reply(last: { error: string | null; code: number | null }): { code: number | null; reply: string | null } {
  return { code: last.code, reply: last.error === null ? null : clip(last.error) };
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > REPLY_CHARS ? `${flat.slice(0, REPLY_CHARS - 3)}...` : flat;
}
