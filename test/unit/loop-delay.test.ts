import { Registry } from "prom-client";
import { afterEach, expect, it } from "vitest";
import { registerLoopDelay } from "../../src/core/loop-delay.js";

const block = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // a stall: the loop runs nothing else
  }
};
const turn = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function gauge(registry: Registry, name: string): Promise<number> {
  const metrics = await registry.getMetricsAsJSON();
  return metrics.find((m) => m.name === name)?.values[0]?.value ?? Number.NaN;
}

let stop: (() => void) | undefined;
afterEach(() => stop?.());

it("records a stall that begins while the loop is idle", async () => {
  const registry = new Registry();
  // Rates a hundredth of the real ones: 20 ms idle, 1 ms busy.
  ({ stop } = registerLoopDelay(registry, "t_", { busyEveryMs: 1, idleEveryMs: 20 }));
  await turn(50);
  expect(await gauge(registry, "t_nodejs_eventloop_lag_max_seconds")).toBeLessThan(0.1);
  block(150);
  await turn(60);
  // Held 150 ms when its 20 ms timer was due: late by at least 130 ms.
  expect(await gauge(registry, "t_nodejs_eventloop_lag_max_seconds")).toBeGreaterThanOrEqual(0.13);
  // Each scrape reports the samples since the one before.
  await turn(30);
  expect(await gauge(registry, "t_nodejs_eventloop_lag_max_seconds")).toBeLessThan(0.1);
});

it("replaces gauges of the same names already in the registry", async () => {
  const registry = new Registry();
  ({ stop } = registerLoopDelay(registry, "t_"));
  const again = registerLoopDelay(registry, "t_");
  again.stop();
  const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
  expect(names.filter((n) => n === "t_nodejs_eventloop_lag_p99_seconds")).toHaveLength(1);
});
