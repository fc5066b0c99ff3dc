import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Counter, type Registry } from "prom-client";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import { HttpError } from "./http-error.js";

/** At most one log line per this long about refused tokens, so a scanner cannot flood the log. */
const LOG_EVERY_MS = 10_000;

type Reason = "missing" | "wrong";

/** Checks `Authorization: Bearer ADMIN_TOKEN`; refusals are counted, and logged at a bounded rate. */
export class TokenCheck {
  private readonly failures: Counter<"reason">;
  private lastLogAt = Number.NEGATIVE_INFINITY;
  private unlogged = 0;

  constructor(
    private readonly token: string | undefined,
    private readonly deps: { clock: Clock; logger?: Logger; registry?: Registry },
  ) {
    this.failures = new Counter({
      name: "steward_http_auth_failures_total",
      help: "Requests refused for a missing or wrong admin token",
      labelNames: ["reason"],
      registers: deps.registry ? [deps.registry] : [],
    });
  }

  /** Whether a token is set at all (on loopback it may not be, and then nothing is checked). */
  get enabled(): boolean {
    return this.token !== undefined;
  }

  /** Throws a 401 unless the request carries the token. */
  require(req: IncomingMessage): void {
    if (this.token === undefined) return;
    const header = req.headers.authorization;
    const given = header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined;
    if (given !== undefined && sameToken(given, this.token)) return;
    this.refused(given === undefined ? "missing" : "wrong", req);
    throw new HttpError(401, "missing or wrong admin token (Authorization: Bearer ADMIN_TOKEN)");
  }

  private refused(reason: Reason, req: IncomingMessage): void {
    this.failures.inc({ reason });
    this.unlogged += 1;
    const now = this.deps.clock.now().getTime();
    if (now - this.lastLogAt < LOG_EVERY_MS) return;
    // The count covers the refusals held back since the previous line; the metric has them all.
    this.deps.logger?.warn(
      { failures: this.unlogged, reason, remote: req.socket.remoteAddress, method: req.method, url: req.url },
      "admin token refused",
    );
    this.lastLogAt = now;
    this.unlogged = 0;
  }
}

/** Constant-time comparison: the token must not leak through response timing. */
function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
