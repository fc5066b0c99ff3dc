import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/core/errors.js";
import { tempDir } from "../helpers/db.js";

const ctx = () => ({ cwd: tempDir(), isTTY: false, hostname: "box", pid: 42 });
const TOKEN = "test-admin-token-0123456789";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, ctx());
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe("HTTP settings", () => {
  it("defaults: no extra host names, /metrics behind the token off loopback, a 32 MiB body budget", () => {
    const { config } = loadConfig({}, ctx());
    expect(config.http).toEqual({
      allowedHosts: [],
      metricsPublic: false,
      maxBodyBytesInFlight: 32 * 1024 * 1024,
      offLoopback: false,
    });
  });

  it("reads STATUS_ALLOWED_HOSTS in lower case and adds STATUS_HOST when it is a name", () => {
    const env = { STATUS_ALLOWED_HOSTS: " steward.internal, Ops-1.Local ", STATUS_HOST: "localhost" };
    expect(loadConfig(env, ctx()).config.http.allowedHosts).toEqual(["steward.internal", "ops-1.local", "localhost"]);
    const named = loadConfig({ STATUS_HOST: "steward.lan", ADMIN_TOKEN: TOKEN }, ctx()).config.http;
    expect(named).toMatchObject({ allowedHosts: ["steward.lan"], offLoopback: true });
    const address = loadConfig({ STATUS_HOST: "0.0.0.0", ADMIN_TOKEN: TOKEN }, ctx()).config.http;
    expect(address).toMatchObject({ allowedHosts: [], offLoopback: true });
  });

  it("counts only loopback addresses and localhost as loopback", () => {
    for (const host of ["127.0.0.1", "127.0.0.2", "::1", "localhost"]) {
      expect(loadConfig({ STATUS_HOST: host }, ctx()).config.http.offLoopback, host).toBe(false);
    }
  });

  it("names the variable and the accepted form for a bad value", () => {
    const form = "is not a comma-separated list of host names without ports (e.g. steward.internal,ops.local)";
    expect(problems({ STATUS_ALLOWED_HOSTS: "steward.internal:8787" })).toEqual([
      `STATUS_ALLOWED_HOSTS: "steward.internal:8787" ${form}`,
    ]);
    expect(problems({ STATUS_ALLOWED_HOSTS: "*" })).toEqual([`STATUS_ALLOWED_HOSTS: "*" ${form}`]);
    expect(problems({ STATUS_ALLOWED_HOSTS: "http://steward.internal" })).toHaveLength(1);
    expect(problems({ METRICS_PUBLIC: "maybe" })).toEqual(['METRICS_PUBLIC: "maybe" is not a boolean (true or false)']);
    expect(problems({ STATUS_MAX_BODY_BYTES_IN_FLIGHT: "1000" })).toEqual([
      'STATUS_MAX_BODY_BYTES_IN_FLIGHT: "1000" is out of range for an integer (an integer >= 65536)',
    ]);
  });
});
