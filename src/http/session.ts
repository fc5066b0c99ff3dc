import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { Clock } from "../core/clock.js";

export const SESSION_COOKIE = "steward_session";
export const CSRF_HEADER = "x-steward-csrf";
/** A working day: a browser left open overnight asks for the token again. */
export const SESSION_TTL_MS = 12 * 3600_000;

export interface SessionInfo {
  csrf: string;
  expiresAt: Date;
}

/**
 * The dashboard's sessions: the token is exchanged once (POST /session) for a cookie the page
 * cannot read. Nothing is stored: the cookie is `id.expiry.mac`, signed with a key derived
 * from ADMIN_TOKEN, so every process that shares the token accepts it (a load balancer may
 * send the next request elsewhere), and changing the token ends every session. The CSRF token
 * is a second MAC of the session id: a page elsewhere can neither read it nor derive it.
 */
export class Sessions {
  private readonly key: Buffer;

  constructor(
    token: string,
    private readonly clock: Clock,
    private readonly ttlMs = SESSION_TTL_MS,
  ) {
    this.key = createHmac("sha256", token).update("steward dashboard session v1").digest();
  }

  /** A new session: the cookie's value and the CSRF token its writes must carry. */
  issue(): SessionInfo & { value: string } {
    const id = randomBytes(18).toString("base64url");
    const expiresAt = new Date(this.clock.now().getTime() + this.ttlMs);
    const body = `${id}.${expiresAt.getTime()}`;
    return { value: `${body}.${this.mac("session", body)}`, csrf: this.mac("csrf", id), expiresAt };
  }

  /** The session a request's cookie names, if it is genuine and not expired. */
  read(headers: IncomingHttpHeaders): SessionInfo | undefined {
    const value = cookieValue(headers.cookie, SESSION_COOKIE);
    const parts = value?.split(".");
    if (parts?.length !== 3) return undefined;
    const [id, expiry, mac] = parts as [string, string, string];
    if (!sameText(mac, this.mac("session", `${id}.${expiry}`))) return undefined;
    const expiresAt = new Date(Number(expiry));
    if (!(expiresAt.getTime() > this.clock.now().getTime())) return undefined;
    return { csrf: this.mac("csrf", id), expiresAt };
  }

  /** True when the request carries the session's CSRF token in X-Steward-CSRF. */
  csrfMatches(headers: IncomingHttpHeaders, session: SessionInfo): boolean {
    const given = headers[CSRF_HEADER];
    return typeof given === "string" && sameText(given, session.csrf);
  }

  /**
   * HttpOnly: the page's scripts never see it. SameSite=Strict: a browser sends it on no request
   * that another site starts, not even a link followed. Secure only behind HTTPS (a proxy that
   * says so): on plain HTTP off loopback the browser would drop a Secure cookie.
   */
  setCookie(session: { value: string; expiresAt: Date }, secure: boolean): string {
    const maxAge = Math.max(0, Math.round((session.expiresAt.getTime() - this.clock.now().getTime()) / 1000));
    return `${SESSION_COOKIE}=${session.value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
  }

  private mac(purpose: string, text: string): string {
    return createHmac("sha256", this.key).update(`${purpose}:${text}`).digest("base64url");
  }
}

export const clearedCookie = `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict`;

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Constant-time comparison: a secret must not leak through response timing. */
export function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
