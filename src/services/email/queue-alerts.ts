import type { Alerter } from "../../alerting/alerter.js";
import type { Clock } from "../../core/clock.js";
import { FailureWindow, failureRateExceeded } from "./failure-rate.js";
import type { TransportHealth } from "./send/circuit-breaker.js";

export interface QueueAlertSettings {
  /** EMAIL_ALERT_FAILURE_RATE. */
  failureRate: number;
  /** EMAIL_ALERT_BACKLOG_SECONDS in ms; 0 = off. */
  backlogMs: number;
  /** ALERT_COOLDOWN_SECONDS in ms. */
  cooldownMs: number;
}

/**
 * The email queue's alerts, each under its own key: too many failed sends (email-failure-rate),
 * the SMTP server down (email-smtp-down), mail waiting too long (email-backlog). Each is raised
 * when its condition begins and again after each cool-down while it lasts, never on every
 * check: the Alerter logs every call, and these conditions are checked every few seconds.
 */
export class QueueAlerts {
  readonly failures = new FailureWindow();
  private readonly raisedAt = new Map<string, number>();

  constructor(private readonly deps: { alerter: Alerter; clock: Clock; settings: QueueAlertSettings }) {}

  /** One message-level send result (transport failures are the breaker's, not counted here). */
  recordSend(at: Date, failed: boolean): void {
    this.failures.record(at, failed);
    const threshold = this.deps.settings.failureRate;
    const window = this.failures.lastHour(at);
    if (!this.holds("email-failure-rate", failureRateExceeded(window, threshold), at)) return;
    const share = Math.round((window.failures / window.sends) * 100);
    void this.deps.alerter.alert(
      "warning",
      "email-failure-rate",
      `${window.failures} of ${window.sends} email sends failed in the last hour (${share}%, more than ${threshold * 100}%)`,
      { ...window, threshold },
    );
  }

  transport(health: TransportHealth, kind: string): void {
    const at = this.deps.clock.now();
    if (!this.holds("email-smtp-down", health.state === "down", at)) return;
    const since = (health.since ?? at).toISOString();
    void this.deps.alerter.alert(
      "error",
      "email-smtp-down",
      `SMTP down since ${since}: ${health.lastError ?? "unreachable"}; mail is held in the queue (no attempts spent) and goes out once the server answers`,
      { transport: kind, since, lastError: health.lastError, nextProbeAt: health.nextProbeAt?.toISOString() ?? null },
    );
  }

  /** `oldestDueSeconds`: how long the longest-waiting due job has waited (null: none due). */
  backlog(oldestDueSeconds: number | null, paused: boolean): void {
    const limitMs = this.deps.settings.backlogMs;
    const at = this.deps.clock.now();
    const over = limitMs > 0 && oldestDueSeconds !== null && oldestDueSeconds * 1000 > limitMs;
    if (!this.holds("email-backlog", over, at)) return;
    const waited = Math.round(oldestDueSeconds ?? 0);
    void this.deps.alerter.alert(
      "warning",
      "email-backlog",
      `the oldest due email has waited ${waited} s, more than EMAIL_ALERT_BACKLOG_SECONDS (${limitMs / 1000})${paused ? "; the queue is paused" : ""}`,
      { oldestDueSeconds: waited, thresholdSeconds: limitMs / 1000, paused },
    );
  }

  /** True when `key` should be raised now: its condition just began, or has outlasted a cool-down. */
  private holds(key: string, condition: boolean, at: Date): boolean {
    if (!condition) {
      this.raisedAt.delete(key);
      return false;
    }
    const last = this.raisedAt.get(key);
    if (last !== undefined && at.getTime() - last < this.deps.settings.cooldownMs) return false;
    this.raisedAt.set(key, at.getTime());
    return true;
  }
}
