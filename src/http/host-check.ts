import type { IncomingHttpHeaders } from "node:http";
import net from "node:net";
import { HttpError } from "./http-error.js";

/**
 * The defence against DNS rebinding and cross-site requests from browsers. A page on
 * evil.example that rebinds its name to 127.0.0.1 still sends `Host: evil.example`, so only
 * names the operator chose are accepted. Any IP literal is accepted too: a browser sends one
 * only when the page asked for that address itself, and then the request is either the
 * server's own origin or carries a foreign Origin, which is refused below.
 */
export function checkHost(headers: IncomingHttpHeaders, allowedHosts: readonly string[]): void {
  const header = headers.host;
  // HTTP/1.1 requires a Host (Node answers 400 without one) and browsers always send it, so
  // only an HTTP/1.0 tool gets here without: nothing a rebinding page can make.
  if (header === undefined) return;
  const name = hostName(header);
  if (name !== undefined && (name === "localhost" || net.isIP(name) !== 0 || allowedHosts.includes(name))) return;
  // 421 Misdirected Request: the request reached a server that does not answer for that name,
  // which is what happened; 403 would suggest that some credential could fix it.
  throw new HttpError(
    421,
    `this server does not answer for Host ${JSON.stringify(clip(header))}; add the name to STATUS_ALLOWED_HOSTS if it is this server's`,
  );
}

/**
 * A browser sends Origin on every cross-origin request but a plain GET, and on same-origin
 * POSTs and PUTs. One that is present and is not this server's own origin (scheme, the Host
 * the client asked for, port) is a page elsewhere talking to Steward: refused with 403.
 */
export function checkOrigin(headers: IncomingHttpHeaders): void {
  const origin = headers.origin;
  if (origin === undefined) return;
  if (headers.host !== undefined && sameOrigin(origin, headers.host)) return;
  throw new HttpError(403, `cross-origin request refused (Origin ${JSON.stringify(clip(origin))})`);
}

function sameOrigin(origin: string, host: string): boolean {
  try {
    const from = new URL(origin);
    if (from.protocol !== "http:" && from.protocol !== "https:") return false;
    // Parsed the same way, so a default port written out (`:80`) compares equal to none.
    return from.origin === new URL(`${from.protocol}//${host}`).origin;
  } catch {
    return false; // `null` (a sandboxed frame, a file: page) or garbage
  }
}

/** The host in a Host header, lower case, without port or IPv6 brackets; undefined if malformed. */
export function hostName(header: string): string | undefined {
  const match = /^\[([0-9a-fA-F:.]+)\](?::\d{1,5})?$/.exec(header) ?? /^([^:[\]\s]+)(?::\d{1,5})?$/.exec(header);
  return match?.[1]?.toLowerCase();
}

function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}
