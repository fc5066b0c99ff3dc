import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { registered } from "../../core/metrics.js";
import type { EmailStatus } from "./store/job.js";

export interface EmailMetrics {
  sent: Counter<never>;
  /** Jobs that failed for good, by reason (smtp_5xx, template, ...). */
  failed: Counter<"reason">;
  /** Attempts that failed and will be retried, by reason. */
  retried: Counter<"reason">;
  /** Jobs waiting to be sent (pending), refreshed in the background. */
  queueDepth: Gauge<never>;
  jobs: Gauge<"status">;
  inFlight: Gauge<never>;
  sendDuration: Histogram<never>;
  /** 1 while the transport answers, 0 while the circuit breaker holds the queue. */
  transportUp: Gauge<never>;
}

export function emailMetrics(registry: Registry): EmailMetrics {
  const registers = [registry];
  return {
    sent: registered(
      registry,
      "steward_email_sent_total",
      () => new Counter({ name: "steward_email_sent_total", help: "Emails sent", registers }),
    ),
    failed: registered(
      registry,
      "steward_email_failed_total",
      () =>
        new Counter({
          name: "steward_email_failed_total",
          help: "Email jobs failed for good, by reason",
          labelNames: ["reason"],
          registers,
        }),
    ),
    retried: registered(
      registry,
      "steward_email_retries_total",
      () =>
        new Counter({
          name: "steward_email_retries_total",
          help: "Send attempts that failed and will be retried, by reason",
          labelNames: ["reason"],
          registers,
        }),
    ),
    queueDepth: registered(
      registry,
      "steward_email_queue_depth",
      () => new Gauge({ name: "steward_email_queue_depth", help: "Email jobs pending", registers }),
    ),
    jobs: registered(
      registry,
      "steward_email_jobs",
      () => new Gauge({ name: "steward_email_jobs", help: "Email jobs by status", labelNames: ["status"], registers }),
    ),
    inFlight: registered(
      registry,
      "steward_email_in_flight",
      () => new Gauge({ name: "steward_email_in_flight", help: "Sends in flight in this process", registers }),
    ),
    sendDuration: registered(
      registry,
      "steward_email_send_duration_seconds",
      () =>
        new Histogram({
          name: "steward_email_send_duration_seconds",
          help: "Duration of one send attempt",
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers,
        }),
    ),
    transportUp: registered(
      registry,
      "steward_email_transport_up",
      () =>
        new Gauge({
          name: "steward_email_transport_up",
          help: "1 while the SMTP server answers, 0 while the circuit breaker holds the queue",
          registers,
        }),
    ),
  };
}

export function recordCounts(metrics: EmailMetrics, counts: Record<EmailStatus, number>, inFlight: number): void {
  metrics.queueDepth.set(counts.pending);
  metrics.inFlight.set(inFlight);
  for (const [status, n] of Object.entries(counts)) metrics.jobs.set({ status }, n);
}
