import { type Classified, classifySendError, retryDelayMs } from "./classify.js";
import type { EmailJob } from "./job.js";
import type { Outcome } from "./store.js";
import type { SendResult } from "./transports/transport.js";

export interface RetryPolicy {
  retryDelaysMs: readonly number[];
  /** Used when the job does not carry its own max_attempts. */
  maxAttempts: number;
  random: () => number;
}

/** Accepted for some recipients is sent; the refused ones are listed on the job. */
export function sentOutcome(job: EmailJob, result: SendResult, at: Date): Outcome {
  const rejected = result.rejected;
  return {
    kind: "sent",
    id: job.id,
    at,
    rejected,
    note: rejected.length > 0 ? `refused: ${result.rejectedDetail ?? rejected.join(", ")}` : null,
    code: rejected.length > 0 ? result.rejectedCode : null,
  };
}

/** A permanent error fails the job now; a transient one retries after the next delay, until attempts run out. */
export function failureOutcome(
  job: EmailJob,
  error: unknown,
  at: Date,
  policy: RetryPolicy,
): { outcome: Outcome; classified: Classified } {
  const classified = classifySendError(error);
  const maxAttempts = job.maxAttempts ?? policy.maxAttempts;
  if (classified.permanent) {
    return {
      outcome: { kind: "failed", id: job.id, at, error: classified.message, code: classified.code },
      classified,
    };
  }
  if (job.attempts >= maxAttempts) {
    const message = `gave up after ${job.attempts} attempt${job.attempts === 1 ? "" : "s"}: ${classified.message}`;
    return { outcome: { kind: "failed", id: job.id, at, error: message, code: classified.code }, classified };
  }
  const runAt = new Date(at.getTime() + retryDelayMs(job.attempts, policy.retryDelaysMs, policy.random));
  return {
    outcome: { kind: "retry", id: job.id, at, runAt, error: classified.message, code: classified.code },
    classified,
  };
}
