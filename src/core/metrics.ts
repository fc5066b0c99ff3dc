import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { registerLoopDelay } from "./loop-delay.js";

export interface Metrics {
  readonly registry: Registry;
  readonly serviceRuns: Counter<"service">;
  readonly serviceFailures: Counter<"service">;
  readonly serviceRunDuration: Histogram<"service">;
}

/**
 * The metric `name` in `registry`, made by `make` only the first time: a service created again
 * after a crash registers its metrics again, which prom-client refuses for a name it knows.
 */
export function registered<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** A labelled counter in `registry`, reused when the service is created again. */
export function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  return registered(registry, name, () => new Counter({ name, help, labelNames, registers: [registry] }));
}

/** One registry per process (and per test), so nothing leaks through prom-client's global. */
export function createMetrics(options: { processMetrics: boolean } = { processMetrics: true }): Metrics {
  const registry = new Registry();
  if (options.processMetrics) {
    // prom-client cannot leave its event-loop delay sampler out, and it wakes the process at
    // this resolution whether or not anything runs: at 2^31-1 ms (24 days) it never does.
    // registerLoopDelay replaces its delay gauges with ones fed by a sampler that wakes an idle
    // process every 2 s and a busy one every 100 ms (core/loop-delay.ts).
    collectDefaultMetrics({ register: registry, prefix: "steward_", eventLoopMonitoringPrecision: 2 ** 31 - 1 });
    registerLoopDelay(registry, "steward_");
  }
  return {
    registry,
    serviceRuns: new Counter({
      name: "steward_service_runs_total",
      help: "Runs (passes, drains, backups) per service",
      labelNames: ["service"],
      registers: [registry],
    }),
    serviceFailures: new Counter({
      name: "steward_service_failures_total",
      help: "Failed runs per service",
      labelNames: ["service"],
      registers: [registry],
    }),
    serviceRunDuration: new Histogram({
      name: "steward_service_run_duration_seconds",
      help: "Duration of one run per service",
      labelNames: ["service"],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
      registers: [registry],
    }),
  };
}
