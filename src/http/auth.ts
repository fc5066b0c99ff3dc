import type { IncomingMessage } from "node:http";
import { Counter, type Registry } from "prom-client";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import { HttpError } from "./http-error.js";
import { CSRF_HEADER, Sessions, sameText } from "./session.js";

/** At most one log line per this long about refused tokens, so a scanner cannot flood the log. */
const LOG_EVERY_MS = 10_000;

type Reason = "missing" | "wrong";

/** How a request proved it holds the token: the header (CLI, scripts) or the dashboard's cookie. */
export type Credential = "bearer" | "session";

const READS = new Set(["GET", "HEAD"]);

/**
 * Checks `Authorization: Bearer ADMIN_TOKEN`, or the session cookie the dashboard got for it
 * (with the CSRF header on every write); refusals are counted, and logged at a bounded rate.
 */
export class TokenCheck {
  /** Undefined without a token: there is nothing to log in to. */
  readonly sessions: Sessions | undefined;
  private readonly failures: Counter<"reason">;
  private lastLogAt = Number.NEGATIVE_INFINITY;
  private unlogged = 0;

  constructor(
    private readonly token: string | undefined,
    private readonly deps: { clock: Clock; logger?: Logger; registry?: Registry },
  ) {
    this.sessions = token === undefined ? undefined : new Sessions(token, deps.clock);
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

  /**
   * Throws a 401 unless the request carries the token or a live session, and a 403 for a
   * session's write without its CSRF token. Undefined when no token is set.
   */
  require(req: IncomingMessage): Credential | undefined {
    if (this.token === undefined) return undefined;
    const given = this.bearer(req);
    if (given !== undefined && sameText(given, this.token)) return "bearer";
    const session = given === undefined ? this.sessions?.read(req.headers) : undefined;
    if (session) {
      // The cookie rides along on any request the browser makes; only the page itself knows
      // the CSRF token, so a write without it did not come from the page.
      if (!READS.has(req.method ?? "GET") && !this.sessions?.csrfMatches(req.headers, session)) {
        throw new HttpError(403, `missing or wrong ${CSRF_HEADER} header (the dashboard sends it with every write)`);
      }
      return "session";
    }
    this.refused(given === undefined ? "missing" : "wrong", req);
    throw new HttpError(401, "missing or wrong admin token (Authorization: Bearer ADMIN_TOKEN)");
  }

  /** True when `given` is the token; a wrong one is counted and logged like a refused request. */
  check(given: string, req: IncomingMessage): boolean {
    if (this.token !== undefined && sameText(given, this.token)) return true;
    this.refused("wrong", req);
    return false;
  }

  private bearer(req: IncomingMessage): string | undefined {
    const header = req.headers.authorization;
    return header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined;
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
