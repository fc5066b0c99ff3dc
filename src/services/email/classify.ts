import { PermanentError, TransientError, UserError } from "../../core/errors.js";

/**
 * What a failed send means for its job. The error's type and SMTP reply decide, never its
 * message text: a 5xx reply or a template error will fail the same way every time, while a
 * 4xx reply, a refused or dropped connection or a timeout may well pass on the next attempt.
 */
export interface Classified {
  permanent: boolean;
  /** The SMTP reply code, when the server gave one. */
  code: number | null;
  /** A short label for metrics: smtp_4xx, smtp_5xx, session, connection, timeout, auth, template, other. */
  reason: string;
  message: string;
}

const CONNECTION_CODES = new Set([
  "ECONNECTION",
  "ESOCKET",
  "EDNS",
  "ETLS",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

interface MailError {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
}

export function classifySendError(error: unknown): Classified {
  const e = (error ?? {}) as MailError;
  const message = oneLine(typeof e.message === "string" ? e.message : String(error));
  const code = typeof e.responseCode === "number" ? e.responseCode : null;
  const errCode = typeof e.code === "string" ? e.code : "";
  if (error instanceof UserError) return { permanent: true, code: null, reason: "template", message };
  if (error instanceof PermanentError)
    return { permanent: true, code: error.code ?? code, reason: "permanent", message };
  if (error instanceof TransientError)
    return { permanent: false, code: error.code ?? code, reason: "transient", message };
  // A refused login is the server's verdict on our credentials, not on this message: retry,
  // so fixing SMTP_PASSWORD lets the queued mail go out.
  if (errCode === "EAUTH" || errCode === "ENOAUTH") return { permanent: false, code, reason: "auth", message };
  // 503 "bad sequence of commands" is the session's state (a pooled connection the server
  // reset between messages, say), not a verdict on this message: retry, on a fresh connection.
  if (code === 503) return { permanent: false, code, reason: "session", message };
  if (code !== null && code >= 500) return { permanent: true, code, reason: "smtp_5xx", message };
  if (code !== null && code >= 400) return { permanent: false, code, reason: "smtp_4xx", message };
  if (errCode === "ETIMEDOUT") return { permanent: false, code, reason: "timeout", message };
  if (CONNECTION_CODES.has(errCode)) return { permanent: false, code, reason: "connection", message };
  return { permanent: false, code, reason: "other", message };
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 1000 ? `${flat.slice(0, 997)}...` : flat;
}

/**
 * The wait before the next attempt after `attempts` tries: the n-th configured delay, the
 * last one repeating, plus up to 10% jitter so jobs that failed together (a server outage)
 * do not all come back in the same instant. Jitter only lengthens: never sooner than asked.
 */
export function retryDelayMs(attempts: number, delaysMs: readonly number[], random: () => number): number {
  const index = Math.min(Math.max(attempts - 1, 0), delaysMs.length - 1);
  const base = delaysMs[index] ?? 1000;
  return Math.round(base + base * 0.1 * random());
}
