/**
 * Send attempts and failures over the last hour, in one-minute buckets, for the
 * EMAIL_ALERT_FAILURE_RATE alert. Counted per process: each process alerts on what it saw.
 */
const BUCKET_MS = 60_000;
const BUCKETS = 60;

export class FailureWindow {
  private readonly buckets: Array<{ minute: number; sends: number; failures: number }> = [];

  record(at: Date, failed: boolean): void {
    const minute = Math.floor(at.getTime() / BUCKET_MS);
    let last = this.buckets[this.buckets.length - 1];
    if (!last || last.minute !== minute) {
      last = { minute, sends: 0, failures: 0 };
      this.buckets.push(last);
      if (this.buckets.length > BUCKETS + 1) this.buckets.shift();
    }
    last.sends += 1;
    if (failed) last.failures += 1;
  }

  /** Sends and failures in the hour up to `now`. */
  lastHour(now: Date): { sends: number; failures: number } {
    const from = Math.floor(now.getTime() / BUCKET_MS) - BUCKETS + 1;
    let sends = 0;
    let failures = 0;
    for (const b of this.buckets) {
      if (b.minute < from) continue;
      sends += b.sends;
      failures += b.failures;
    }
    return { sends, failures };
  }
}

/** At least this many sends before a rate means anything. */
export const MIN_SENDS_FOR_ALERT = 10;

export function failureRateExceeded(window: { sends: number; failures: number }, threshold: number): boolean {
  return window.sends >= MIN_SENDS_FOR_ALERT && window.failures / window.sends > threshold;
}
