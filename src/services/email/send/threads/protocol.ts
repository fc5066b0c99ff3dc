import { EmailValidationError } from "../../enqueue/validation-error.js";
import type { EmailJob } from "../../store/job.js";
import type { SmtpSettings } from "../transports/smtp.js";
import type { SendResult } from "../transports/transport.js";

/**
 * What the main thread and a sender thread say to each other. Only plain data crosses: jobs
 * as the claim read them, answers as the server gave them. Both directions go in batches (one
 * postMessage per turn of the event loop), since a structured clone costs far more to start
 * than per job.
 */
export interface ThreadSettings {
  /** This thread's share of SMTP_POOL_SIZE. */
  smtp: SmtpSettings;
  from: string;
  templatesDir: string;
  maxBytes: number;
}

export type ToThread =
  | { t: "send"; batch: Array<{ n: number; job: EmailJob }> }
  | { t: "verify"; n: number }
  /** Abandon every send in flight (the shutdown grace ran out). */
  | { t: "abort" }
  | { t: "close" };

export type Answer = { n: number; ok: true; result: SendResult } | { n: number; ok: false; error: WireError };

export type FromThread = { t: "done"; batch: Answer[] };

/**
 * A send error as plain fields: what classify.ts and outcomes.ts read (an Error's own properties
 * do not survive a structured clone, and its class never does).
 */
export interface WireError {
  validation: boolean;
  message: string;
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
  rejectedErrors?: Array<{ recipient?: unknown; responseCode?: unknown; response?: unknown }>;
}

export function toWire(error: unknown): WireError {
  const e = (error ?? {}) as Record<string, unknown>;
  const rejected = Array.isArray(e.rejectedErrors)
    ? (e.rejectedErrors as Array<Record<string, unknown>>).map((r) => ({
        recipient: r.recipient,
        responseCode: r.responseCode,
        response: r.response,
      }))
    : undefined;
  return {
    validation: error instanceof EmailValidationError,
    message: typeof e.message === "string" ? e.message : String(error),
    code: e.code,
    responseCode: e.responseCode,
    response: e.response,
    command: e.command,
    rejectedErrors: rejected,
  };
}

/** The error again, of the class and with the fields the main thread's classification reads. */
export function fromWire(wire: WireError): Error {
  if (wire.validation) return new EmailValidationError(wire.message);
  const { validation: _, message, ...fields } = wire;
  return Object.assign(new Error(message), fields);
}
