import net from "node:net";
import { Problem, type Values, v } from "./fields.js";

/** Settings of the HTTP surface beyond where it listens (STATUS_HOST, STATUS_PORT, ADMIN_TOKEN). */
export const httpVars = {
  STATUS_ALLOWED_HOSTS: v.custom<string[]>(
    undefined,
    "host names the status server answers to besides localhost and IP addresses (comma-separated); others get 421",
    parseHostList,
    { defaultNote: "none" },
  ),
  METRICS_PUBLIC: v.bool(false, "serve /metrics without ADMIN_TOKEN when STATUS_HOST is not a loopback address"),
  STATUS_MAX_BODY_BYTES_IN_FLIGHT: v.int(
    32 * 1024 * 1024,
    "request body bytes held at once over all requests; past it 503 with Retry-After (a lone body may pass it)",
    64 * 1024,
  ),
};

export interface HttpConfig {
  /** Names accepted in the Host header besides localhost and IP literals, lower case. */
  allowedHosts: string[];
  metricsPublic: boolean;
  maxBodyBytesInFlight: number;
  /** STATUS_HOST is not a loopback address: every route but health needs the admin token. */
  offLoopback: boolean;
}

const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

function parseHostList(raw: string): string[] {
  const names = raw
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const name of names) {
    if (!NAME.test(name) && net.isIP(name) === 0) {
      throw new Problem(`is not a comma-separated list of host names without ports (e.g. steward.internal,ops.local)`);
    }
  }
  return names;
}

export function resolveHttp(
  values: Values<typeof httpVars>,
  statusHost: string,
  isLoopback: (host: string) => boolean,
): HttpConfig {
  const allowedHosts = [...(values.STATUS_ALLOWED_HOSTS ?? [])];
  // A server bound to a name is reached under that name: the operator chose it, so it is no
  // rebinding target. An address needs no entry: every IP literal is accepted (see host-check.ts).
  const bound = statusHost.toLowerCase();
  if (net.isIP(bound) === 0 && NAME.test(bound) && !allowedHosts.includes(bound)) allowedHosts.push(bound);
  return {
    allowedHosts,
    metricsPublic: values.METRICS_PUBLIC,
    maxBodyBytesInFlight: values.STATUS_MAX_BODY_BYTES_IN_FLIGHT,
    offLoopback: !isLoopback(statusHost),
  };
}
