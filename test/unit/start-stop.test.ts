import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/core/backoff.js";
import { clusterState } from "../../src/core/service.js";
import { StartStop } from "../../src/core/start-stop.js";

describe("clusterState", () => {
  it("is failed if any live process has it failed, else running if any runs it", () => {
    expect(clusterState("stopped", ["running", "failed", "stopped"])).toBe("failed");
    expect(clusterState("stopped", ["disabled", "running"])).toBe("running");
    expect(clusterState("failed", [])).toBe("failed");
    // A process killed while running left "running" behind; with no live process it reads as stopped.
    expect(clusterState("running", [])).toBe("stopped");
    expect(clusterState("starting", [])).toBe("stopped");
    expect(clusterState("stopping", [])).toBe("stopped");
    expect(clusterState("disabled", [])).toBe("disabled");
    expect(clusterState("running", ["stopped"])).toBe("stopped");
  });
});

describe("backoffDelay", () => {
  const options = { baseMs: 1000, capMs: 60_000, jitter: 0.5 };

  it("doubles per failure and stops at the cap", () => {
    const noJitter = () => 0;
    expect([1, 2, 3, 4, 7, 8, 50].map((n) => backoffDelay(n, options, noJitter))).toEqual([
      1000, 2000, 4000, 8000, 60_000, 60_000, 60_000,
    ]);
  });

  it("takes at most the jitter fraction away", () => {
    expect(backoffDelay(3, options, () => 1)).toBe(2000);
    expect(backoffDelay(3, options, () => 0.5)).toBe(3000);
  });
});

describe("StartStop", () => {
  function harness() {
    const calls: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const guard = new StartStop();
    const start = () =>
      guard.start(
        async () => {
          calls.push("start");
          await gate;
        },
        async () => {
          calls.push("undo");
        },
      );
    const stop = () =>
      guard.stop(async () => {
        calls.push("stop");
      });
    return { guard, calls, start, stop, release: () => release() };
  }

  it("treats stop before start as a no-op, and stop twice as one stop", async () => {
    const h = harness();
    await h.stop();
    expect(h.calls).toEqual([]);
    const started = h.start();
    h.release();
    await started;
    await Promise.all([h.stop(), h.stop()]);
    await h.stop();
    expect(h.calls).toEqual(["start", "stop"]);
  });

  it("returns the start in flight to a second caller", async () => {
    const h = harness();
    const a = h.start();
    const b = h.start();
    expect(a).toBe(b);
    h.release();
    await a;
    expect(h.calls).toEqual(["start"]);
  });

  it("waits for a start in flight, then undoes it, when stopped concurrently", async () => {
    const h = harness();
    const started = h.start();
    const stopped = h.stop();
    await new Promise((r) => setImmediate(r));
    expect(h.calls).toEqual(["start"]);
    h.release();
    await Promise.all([started, stopped]);
    expect(h.calls).toEqual(["start", "stop"]);
    expect(h.guard.started).toBe(false);
  });

  it("undoes a start that fails half-way and can start again", async () => {
    const guard = new StartStop();
    const calls: string[] = [];
    await expect(
      guard.start(
        async () => {
          calls.push("start");
          throw new Error("boom");
        },
        async () => {
          calls.push("undo");
        },
      ),
    ).rejects.toThrow("boom");
    expect(guard.started).toBe(false);
    await guard.start(
      async () => {
        calls.push("start again");
      },
      async () => {},
    );
    expect(calls).toEqual(["start", "undo", "start again"]);
    expect(guard.started).toBe(true);
  });
});
