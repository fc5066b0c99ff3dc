import type { Clock } from "../core/clock.js";
import type { Alert, AlertChannel } from "./alerter.js";

export interface WebhookOptions {
  url: string;
  clock: Clock;
  timeoutMs?: number;
  attempts?: number;
  /** Injected so tests can stand in for the network where they cannot provoke a failure. */
  fetchImpl?: typeof fetch;
}

/** POSTs the alert as JSON; a few attempts with a short backoff, each bounded by a timeout. */
export function webhookChannel(options: WebhookOptions): AlertChannel {
  const attempts = options.attempts ?? 3;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const doFetch = options.fetchImpl ?? fetch;
  return {
    name: "webhook",
    async send(alert: Alert) {
      let lastError: unknown;
      for (let attempt = 1; attempt <= attempts; attempt += 1) {
        try {
          const response = await doFetch(options.url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(alert),
            signal: AbortSignal.timeout(timeoutMs),
          });
          if (response.ok) return;
          lastError = new Error(`webhook answered ${response.status}`);
          // A 4xx will not get better by asking again.
          if (response.status >= 400 && response.status < 500) break;
        } catch (error) {
          lastError = error;
        }
        if (attempt < attempts) await options.clock.sleep(500 * 2 ** (attempt - 1));
      }
      throw lastError instanceof Error ? lastError : new Error(String(lastError));
    },
  };
}
