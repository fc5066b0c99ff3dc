import { describe, expect, it } from "vitest";
import type { CliRuntime } from "../../src/cli/runtime.js";
import { startCommand } from "../../src/cli/start.js";
import { systemClock } from "../../src/core/clock.js";
import { disabledStatus } from "../../src/core/service.js";
import type { ServiceDefinition } from "../../src/services/contract.js";
import { tempDir } from "../helpers/db.js";
import { waitFor } from "../helpers/wait.js";

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

describe("steward start and signals", () => {
  it("stops gracefully on the first signal and exits at once on the second", async () => {
    let handler: (signal: string) => void = () => {};
    let releaseStop: () => void = () => {};
    const stopGate = new Promise<void>((r) => {
      releaseStop = r;
    });
    let started = false;
    let stopping = false;
    // A service whose in-flight work takes its time to finish.
    const slow: ServiceDefinition = {
      name: "slow",
      enabled: () => true,
      create: () => ({
        name: "slow",
        start: async () => {
          started = true;
        },
        stop: async () => {
          stopping = true;
          await stopGate;
        },
        status: () => ({ ...disabledStatus("slow"), enabled: true, state: "running" }),
      }),
    };
    const exits: number[] = [];
    const rt: CliRuntime = {
      env: { STATUS_PORT: "0", LOG_LEVEL: "silent" },
      cwd: tempDir(),
      isTTY: false,
      hostname: "h",
      pid: 1,
      clock: systemClock,
      stdout: { write: () => true },
      stderr: { write: () => true },
      onShutdownSignal: (h) => {
        handler = h;
      },
      exitNow: (code) => {
        exits.push(code);
        throw new Exited(code);
      },
    };
    const result = startCommand(rt, [slow]);
    await waitFor(() => started, { what: "the service to start" });
    handler("SIGTERM");
    await waitFor(() => stopping, { what: "the service to be stopping" });
    expect(() => handler("SIGTERM")).toThrow(Exited);
    expect(exits).toEqual([1]);
    releaseStop();
    expect(await result).toBe(0);
  });
});
