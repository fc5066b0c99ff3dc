import { createHistogram, performance } from "node:perf_hooks";
import { Gauge, type Registry } from "prom-client";

/** How often a busy loop's delay is sampled: prom-client's setting here before. */
const BUSY_EVERY_MS = 100;
/** How often an idle one's is, and how often the loop's work is looked at. */
const IDLE_EVERY_MS = 2_000;
/**
 * A window in which the process used more than this share of a core is busy. CPU time, not the
 * loop's utilization: that counts wall time, and on a loaded machine the 100 ms timer's own
 * turns (each preempted now and then) kept it over 2% for good once it had started.
 */
const BUSY_SHARE = 0.02;
/** Sampled at the busy rate for this many windows (10 s) after the last busy one. */
const STAY_BUSY_WINDOWS = 5;

const GAUGES = {
  min: ["eventloop_lag_min_seconds", "The minimum recorded event loop delay."],
  max: ["eventloop_lag_max_seconds", "The maximum recorded event loop delay."],
  mean: ["eventloop_lag_mean_seconds", "The mean of the recorded event loop delays."],
  stddev: ["eventloop_lag_stddev_seconds", "The standard deviation of the recorded event loop delays."],
  p50: ["eventloop_lag_p50_seconds", "The 50th percentile of the recorded event loop delays."],
  p90: ["eventloop_lag_p90_seconds", "The 90th percentile of the recorded event loop delays."],
  p99: ["eventloop_lag_p99_seconds", "The 99th percentile of the recorded event loop delays."],
} as const;

/**
 * prom-client's event-loop delay gauges (its default metrics' names and meanings), from a
 * sampler that wakes an idle process every 2 s rather than every 100 ms. prom-client's own
 * sampler fires whether or not anything runs: 10 of an idle PostgreSQL process's ~14 wake-ups
 * a second. What a wake-up costs depends on the machine's load: idle Steward on PostgreSQL went
 * from 0.47% to 0.37-0.40% of a core with this sampler (load average under 0.5), and a bare node
 * process with prom-client's spent 2.5 ms of CPU a second against 0.3-0.6 (load average 7). The sampler is a timer
 * that records how late it fired, as monitorEventLoopDelay's does; it fires every 100 ms while
 * the process is busy (more than 2% of a core over the last 2 s, or so within the last 10 s)
 * and every 2 s otherwise. What it still catches: while busy, every stall, as before, to within
 * 100 ms; a stall that starts from idle (a chore's query on SQLite, a big parse) to within 2 s:
 * one of 2.5 s is recorded as at least 0.5 s, and the samples after it are taken at 100 ms.
 */
export function registerLoopDelay(
  registry: Registry,
  prefix: string,
  /** Shorter in tests, which must not wait seconds. */
  rates: { busyEveryMs: number; idleEveryMs: number } = { busyEveryMs: BUSY_EVERY_MS, idleEveryMs: IDLE_EVERY_MS },
): { stop(): void } {
  const { busyEveryMs, idleEveryMs } = rates;
  const samples = createHistogram();
  let lastCpu = process.cpuUsage();
  let checkedAt = performance.now();
  let checkAt = performance.now() + idleEveryMs;
  let busyUntil = Number.NEGATIVE_INFINITY;
  let every = idleEveryMs;
  let due = performance.now() + every;

  const tick = () => {
    const now = performance.now();
    // Late by as long as the loop was held when the timer should have fired.
    samples.record(Math.max(1, Math.round((now - due) * 1e6)));
    if (now >= checkAt) {
      const used = process.cpuUsage(lastCpu);
      lastCpu = process.cpuUsage();
      const cpuMs = (used.user + used.system) / 1000;
      if (cpuMs > (now - checkedAt) * BUSY_SHARE) busyUntil = now + STAY_BUSY_WINDOWS * idleEveryMs;
      checkedAt = now;
      every = now < busyUntil ? busyEveryMs : idleEveryMs;
      checkAt = now + idleEveryMs;
    }
    due = now + every;
    timer = setTimeout(tick, every).unref();
  };
  let timer = setTimeout(tick, every).unref();

  const seconds = (ns: number) => (Number.isFinite(ns) && samples.count > 0 ? ns / 1e9 : 0);
  const gauges = {} as Record<keyof typeof GAUGES, Gauge>;
  for (const [key, [suffix, help]] of Object.entries(GAUGES) as Array<[keyof typeof GAUGES, readonly string[]]>) {
    const name = `${prefix}nodejs_${suffix}`;
    registry.removeSingleMetric(name);
    // The first gauge's collect sets them all from the samples since the last scrape.
    const collect = key === "min" ? () => collectAll() : undefined;
    gauges[key] = new Gauge({ name, help: help as string, registers: [registry], ...(collect ? { collect } : {}) });
  }
  const collectAll = () => {
    gauges.min.set(seconds(samples.min));
    gauges.max.set(seconds(samples.max));
    gauges.mean.set(seconds(samples.mean));
    gauges.stddev.set(seconds(samples.stddev));
    gauges.p50.set(seconds(samples.percentile(50)));
    gauges.p90.set(seconds(samples.percentile(90)));
    gauges.p99.set(seconds(samples.percentile(99)));
    samples.reset();
  };
  return { stop: () => clearTimeout(timer) };
}
