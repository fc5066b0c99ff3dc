import type { Clock } from "../../../core/clock.js";
import { classifySendError } from "./classify.js";

export type TransportState = "up" | "down";

/** What /status/email shows as `transport`, and what the SMTP-down alert says. */
export interface TransportHealth {
  state: TransportState;
  /** When the failures that opened the breaker began; null while up. */
  since: Date | null;
  /** The last transport failure seen, kept after recovery for the record. */
  lastError: string | null;
  /** While down: when the server is probed next. */
  nextProbeAt: Date | null;
}

export interface BreakerOptions {
  /** Consecutive transport failures that open the breaker. */
  threshold: number;
  /** The first wait before a probe; doubled after each failed probe... */
  firstProbeMs: number;
  /** ...up to this. */
  maxProbeMs: number;
}

/**
 * Three failures in a row: one refused connection can be a blip, three with nothing in between
 * getting through is a server that is down. Probes start a couple of seconds after, so a
 * restart of the server costs the queue seconds, and back off to a minute, so a long outage
 * costs the server one connection a minute.
 */
export const DEFAULT_BREAKER: BreakerOptions = { threshold: 3, firstProbeMs: 2_000, maxProbeMs: 60_000 };

export interface BreakerDeps {
  clock: Clock;
  /**
   * Connects (and logs in) without sending; rejects while the server is still unreachable.
   * Absent (a transport without a server), the breaker closes at the first probe and the
   * next sends find out.
   */
  probe?: () => Promise<void>;
  options?: Partial<BreakerOptions>;
  /** The state changed, or a probe failed (the health's lastError and nextProbeAt moved). */
  onChange?(health: TransportHealth): void;
}

/**
 * A circuit breaker for the transport. Sends report their result; after `threshold`
 * consecutive transport failures it opens: the worker pool stops claiming and gives back the
 * jobs it holds (no attempt spent), and the claim loop calls `probeWhenDue` instead, which
 * probes the server with backoff until it answers. Any answer from the server (a probe, or a
 * send still in flight that got through) closes it and the queue resumes, in its order.
 *
 * The probe is a connect-and-login (nodemailer's verify), not a send of a held job: it tests
 * exactly what failed (connection, TLS, greeting, login), sends no message (so no duplicate
 * and no job held out of its place), and needs no lease on anything.
 */
export class CircuitBreaker {
  private state: TransportState = "up";
  private streak = 0;
  private streakStartedAt: Date | null = null;
  private since: Date | null = null;
  private lastError: string | null = null;
  private nextProbeAt: Date | null = null;
  private delayMs: number;
  /** Aborted when the breaker closes: wakes a probe loop waiting out its backoff. */
  private closing = new AbortController();
  private readonly options: BreakerOptions;

  constructor(private readonly deps: BreakerDeps) {
    this.options = { ...DEFAULT_BREAKER, ...deps.options };
    this.delayMs = this.options.firstProbeMs;
  }

  get isOpen(): boolean {
    return this.state === "down";
  }

  health(): TransportHealth {
    return { state: this.state, since: this.since, lastError: this.lastError, nextProbeAt: this.nextProbeAt };
  }

  /** The server answered a send: took it, or refused it with a reply. Either way it is there. */
  succeeded(): void {
    this.streak = 0;
    this.streakStartedAt = null;
    if (this.state === "down") this.close();
  }

  /** A send failed in the transport. Returns true when this failure opened the breaker. */
  failed(message: string): boolean {
    const now = this.deps.clock.now();
    this.lastError = message;
    if (this.state === "down") return false;
    if (this.streak === 0) this.streakStartedAt = now;
    this.streak += 1;
    if (this.streak < this.options.threshold) return false;
    this.state = "down";
    this.since = this.streakStartedAt ?? now;
    this.delayMs = this.options.firstProbeMs;
    this.nextProbeAt = new Date(now.getTime() + this.delayMs);
    this.closing = new AbortController();
    this.deps.onChange?.(this.health());
    return true;
  }

  /** While open: waits until the next probe is due (or `signal`, or a send got through), then probes once. */
  async probeWhenDue(signal: AbortSignal): Promise<TransportState> {
    if (this.state === "up") return "up";
    const wait = (this.nextProbeAt?.getTime() ?? 0) - this.deps.clock.now().getTime();
    if (wait > 0) await this.deps.clock.sleep(wait, AbortSignal.any([signal, this.closing.signal]));
    if (signal.aborted || !this.isOpen) return this.state;
    return this.runOnce(signal);
  }

  /** One probe, now: closes the breaker if the server answers, else doubles the wait (capped). */
  async runOnce(signal?: AbortSignal): Promise<TransportState> {
    if (this.state === "up") return "up";
    const probe = this.deps.probe;
    if (!probe) {
      this.close();
      return "up";
    }
    const attempt = probe().then(
      () => null,
      (error: unknown) => error ?? new Error("probe failed"),
    );
    const result = signal ? await Promise.race([attempt, aborted(signal)]) : await attempt;
    // Stopping: no verdict either way. A send that got through meanwhile has closed it already.
    if (result === ABORTED || !this.isOpen) return this.state;
    if (result === null) {
      this.close();
      return "up";
    }
    this.lastError = classifySendError(result).message;
    this.delayMs = Math.min(this.delayMs * 2, this.options.maxProbeMs);
    this.nextProbeAt = new Date(this.deps.clock.now().getTime() + this.delayMs);
    this.deps.onChange?.(this.health());
    return "down";
  }

  private close(): void {
    this.state = "up";
    this.since = null;
    this.nextProbeAt = null;
    this.streak = 0;
    this.streakStartedAt = null;
    this.closing.abort();
    this.deps.onChange?.(this.health());
  }
}

const ABORTED = Symbol("aborted");

function aborted(signal: AbortSignal): Promise<typeof ABORTED> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(ABORTED);
    else signal.addEventListener("abort", () => resolve(ABORTED), { once: true });
  });
}
