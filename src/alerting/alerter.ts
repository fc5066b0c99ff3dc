import type { Clock } from "../core/clock.js";
import { toError } from "../core/errors.js";
import { uuidv7 } from "../core/ids.js";
import type { Logger } from "../core/logger.js";

export type Severity = "info" | "warning" | "error" | "critical";

export interface Alert {
  /** UUIDv7: the row in the alerts table, and what the dashboard tells two alerts apart by. */
  id: string;
  severity: Severity;
  key: string;
  message: string;
  context: Record<string, unknown>;
  at: string;
  instance: string;
}

export interface AlertChannel {
  readonly name: string;
  send(alert: Alert): Promise<void>;
}

/**
 * One alerter shared by every service. The same key is delivered at most once per cool-down
 * (a flapping service does not page anyone a hundred times), and a failing channel is logged
 * and never reaches the caller: alerting about a failure must not become a second failure.
 */
export class Alerter {
  private readonly lastSent = new Map<string, number>();
  private readonly channels: AlertChannel[];

  constructor(
    private readonly deps: {
      clock: Clock;
      logger: Logger;
      cooldownMs: number;
      instance: string;
      channels?: AlertChannel[];
    },
  ) {
    this.channels = [...(deps.channels ?? [])];
  }

  /** Resolves to false when the key is still cooling down and nothing was sent. */
  async alert(
    severity: Severity,
    key: string,
    message: string,
    context: Record<string, unknown> = {},
  ): Promise<boolean> {
    const now = this.deps.clock.now();
    const last = this.lastSent.get(key);
    const level = severity === "info" ? "info" : severity === "warning" ? "warn" : "error";
    // The log is always a channel, and it is not subject to the cool-down.
    this.deps.logger[level]({ alert: key, severity, ...context }, message);
    if (last !== undefined && now.getTime() - last < this.deps.cooldownMs) return false;
    this.lastSent.set(key, now.getTime());
    const alert: Alert = {
      id: uuidv7(now),
      severity,
      key,
      message,
      context,
      at: now.toISOString(),
      instance: this.deps.instance,
    };
    await Promise.all(
      this.channels.map((channel) =>
        channel.send(alert).catch((error: unknown) => {
          this.deps.logger.warn({ channel: channel.name, alert: key, err: toError(error) }, "alert channel failed");
        }),
      ),
    );
    return true;
  }
}
