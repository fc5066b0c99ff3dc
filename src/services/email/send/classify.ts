import { PermanentError, TransientError, UserError } from "../../../core/errors.js";

/**
 * What a failed send means for its job. The error's type and SMTP reply decide, never its
 * message text: a 5xx reply or a template error will fail the same way every time, while a
 * 4xx reply may well pass on the next attempt. A failure of the transport (the server cannot
 * be reached, will not talk, or will not take our login) says nothing about the message: it
 * spends none of the job's attempts and counts towards the circuit breaker instead.
 */
export interface Classified {
  permanent: boolean;
  /** The path to the server failed, not the message: no attempt is spent (see circuit-breaker.ts). */
  transport: boolean;
  /** The SMTP reply code, when the server gave one. */
  code: number | null;
  /**
   * A short label for metrics: smtp_4xx, smtp_5xx, session, connection, timeout, tls, greeting,
   * auth, template, permanent, transient, other.
   */
  reason: string;
  message: string;
}

const CONNECTION_CODES = new Set([
  "ECONNECTION",
  "ESOCKET",
  "EDNS",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** nodemailer's `command` for the steps before a message: the greeting (CONN), EHLO/HELO, STARTTLS. */
const SESSION_SETUP = new Set(["CONN", "EHLO", "HELO", "LHLO", "STARTTLS"]);

interface MailError {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
  command?: unknown;
}

export function classifySendError(error: unknown): Classified {
  const e = (error ?? {}) as MailError;
  const message = oneLine(typeof e.message === "string" ? e.message : String(error));
  const code = typeof e.responseCode === "number" ? e.responseCode : null;
  const errCode = typeof e.code === "string" ? e.code : "";
  const as = (reason: string, permanent: boolean, transport = false, c = code): Classified => ({
    permanent,
    transport,
    code: c,
    reason,
    message,
  });
  if (error instanceof UserError) return as("template", true, false, null);
  if (error instanceof PermanentError) return as("permanent", true, false, error.code ?? code);
  if (error instanceof TransientError) return as("transient", false, false, error.code ?? code);
  // A refused login is the server's verdict on our credentials, not on this message: the
  // breaker holds the queue, so fixing SMTP_PASSWORD lets the queued mail go with its attempts.
  if (errCode === "EAUTH" || errCode === "ENOAUTH") return as("auth", false, true);
  if (errCode === "ETLS") return as("tls", false, true);
  // A refusal while the session opens (421 "too busy" or 554 "no service" for a greeting, 421
  // to EHLO) refuses every message that would follow, not this one.
  if (typeof e.command === "string" && SESSION_SETUP.has(e.command) && code !== null) {
    return as("greeting", false, true);
  }
  // 503 "bad sequence of commands" is the session's state (a pooled connection the server
  // reset between messages, say), not a verdict on this message: retry, on a fresh connection.
  if (code === 503) return as("session", false);
  if (code !== null && code >= 500) return as("smtp_5xx", true);
  if (code !== null && code >= 400) return as("smtp_4xx", false);
  if (errCode === "ETIMEDOUT") return as("timeout", false, true);
  if (CONNECTION_CODES.has(errCode)) return as("connection", false, true);
  return as("other", false);
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
