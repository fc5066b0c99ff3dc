import type { EmailJob } from "../store/job.js";
import { afterAttempt, describeRefusals, type Refusal, refusalsOf } from "../store/recipients.js";
import type { Outcome } from "../store.js";
import { type Classified, classifySendError, retryDelayMs } from "./classify.js";
import type { SendResult } from "./transports/transport.js";

export interface RetryPolicy {
  retryDelaysMs: readonly number[];
  /** Used when the job does not carry its own max_attempts. */
  maxAttempts: number;
  /** No attempt later than this after the job was queued; 0 = bounded by attempts alone. */
  maxAgeMs: number;
  random: () => number;
}

/**
 * Transport failures a job may have without spending attempts. Past it they are counted like
 * any temporary failure: a message that makes the server drop the connection every time would
 * otherwise be retried for ever, holding the whole queue behind the circuit breaker.
 */
export const FREE_TRANSPORT_FAILURES = 10;

/**
 * The server answered. With every recipient taken at once (the common case) the job is sent
 * and no per-recipient state is stored; otherwise each recipient's answer is recorded.
 */
export function sentOutcome(job: EmailJob, result: SendResult, at: Date, policy: RetryPolicy): Outcome {
  if (result.refusals.length === 0 && job.recipients === null) {
    return { kind: "sent", id: job.id, at, rejected: [], note: null, code: null, recipients: null };
  }
  return recipientOutcome(job, result.accepted, result.refusals, at, policy);
}

/**
 * A send that failed. Every recipient refused is a per-recipient answer like any other; a
 * transport failure gives the job back without spending its attempt (up to
 * FREE_TRANSPORT_FAILURES); a permanent error fails it now; a temporary one retries after the
 * next delay, until its attempts or EMAIL_RETRY_MAX_AGE run out.
 */
export function failureOutcome(
  job: EmailJob,
  error: unknown,
  at: Date,
  policy: RetryPolicy,
): { outcome: Outcome; classified: Classified } {
  const classified = classifySendError(error);
  const refusals = refusalsOf((error as { rejectedErrors?: unknown } | null)?.rejectedErrors);
  if (refusals.length > 0) return { outcome: recipientOutcome(job, [], refusals, at, policy), classified };
  const { id } = job;
  const { message, code } = classified;
  if (classified.transport && job.transportFailures < FREE_TRANSPORT_FAILURES) {
    return { outcome: { kind: "requeue", id, at, error: message, code, transportFailure: true }, classified };
  }
  if (classified.permanent) {
    return { outcome: { kind: "failed", id, at, error: message, code, recipients: null }, classified };
  }
  const next = nextAttempt(job, at, policy);
  if (next.giveUp) {
    return {
      outcome: { kind: "failed", id, at, error: `${next.giveUp}: ${message}`, code, recipients: null },
      classified,
    };
  }
  const note = classified.transport ? ` (its sends failed in the transport ${job.transportFailures} times)` : "";
  return {
    outcome: { kind: "retry", id, at, runAt: next.runAt, error: `${message}${note}`, code, recipients: null },
    classified,
  };
}

/**
 * Some recipients refused: those refused for now (4xx) are retried alone later, those
 * refused for good (5xx) are listed with their reply. The job stays `pending` while any
 * recipient is pending; then it is `sent` if anyone got it, `failed` if no one did.
 */
function recipientOutcome(
  job: EmailJob,
  accepted: readonly string[],
  refusals: readonly Refusal[],
  at: Date,
  policy: RetryPolicy,
): Outcome {
  const { id } = job;
  const next = nextAttempt(job, at, policy);
  const state = afterAttempt(job.recipients, accepted, refusals, next.giveUp);
  if (state.pending.length > 0) {
    const error = `${state.pending.length} recipient(s) refused for now, to be retried alone: ${describeRefusals(state.pending)}`;
    return { kind: "retry", id, at, runAt: next.runAt, error, code: state.pending[0]?.code ?? null, recipients: state };
  }
  const code = state.refused[0]?.code ?? null;
  if (state.delivered.length === 0) {
    const error = `every recipient was refused: ${describeRefusals(state.refused)}`;
    return { kind: "failed", id, at, error, code, recipients: state };
  }
  const rejected = state.refused.map((r) => r.address);
  const note = rejected.length > 0 ? `refused: ${describeRefusals(state.refused)}` : null;
  return { kind: "sent", id, at, rejected, note, code, recipients: state };
}

/** When the next attempt would run, or why there is none (attempts spent, or past EMAIL_RETRY_MAX_AGE). */
function nextAttempt(job: EmailJob, at: Date, policy: RetryPolicy): { runAt: Date; giveUp: string | null } {
  const maxAttempts = job.maxAttempts ?? policy.maxAttempts;
  const runAt = new Date(at.getTime() + retryDelayMs(job.attempts, policy.retryDelaysMs, policy.random));
  const plural = job.attempts === 1 ? "" : "s";
  if (job.attempts >= maxAttempts) return { runAt, giveUp: `gave up after ${job.attempts} attempt${plural}` };
  if (policy.maxAgeMs > 0 && runAt.getTime() - job.createdAt.getTime() > policy.maxAgeMs) {
    const age = `${Math.round(policy.maxAgeMs / 1000)} s`;
    return {
      runAt,
      giveUp: `gave up after ${job.attempts} attempt${plural}: the next would be past EMAIL_RETRY_MAX_AGE (${age})`,
    };
  }
  return { runAt, giveUp: null };
}
