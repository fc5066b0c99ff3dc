import type { Clock } from "./clock.js";
import { toError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import type { PersistedServiceState, ServiceState, ServiceStateStore, ServiceStatus } from "./service.js";

/** One run as the tracker recorded it: what the host's `run:recorded` event carries. */
export interface RecordedRun {
  service: string;
  at: Date;
  error: Error | null;
  details: Record<string, unknown> | null;
}

/**
 * The status fields every service reports, kept in memory for a synchronous status() and
 * written through to the shared service_state table after each run.
 */
export class RunTracker {
  state: ServiceState = "stopped";
  leader: boolean | null = null;
  startedAt: Date | null = null;
  lastRunAt: Date | null = null;
  lastSuccessAt: Date | null = null;
  lastError: { message: string; at: Date } | null = null;
  nextRunAt: Date | null = null;
  runs = 0;
  failures = 0;
  consecutiveFailures = 0;

  constructor(
    readonly service: string,
    private readonly deps: {
      clock: Clock;
      store: ServiceStateStore;
      instanceId: string;
      logger: Logger;
      metrics: Metrics;
      /** Told of each run once it is persisted (or its persisting failed). */
      onRecorded?(run: RecordedRun): void;
    },
  ) {}

  /** Picks up the persisted counts so status survives a restart. */
  async load(): Promise<void> {
    const saved = await this.deps.store.load(this.service);
    if (saved) this.adopt(saved);
  }

  /** Re-reads when the service last ran anywhere in the cluster (null: run at once). */
  async refreshLastRun(): Promise<void> {
    const saved = await this.deps.store.load(this.service);
    if (!saved) return;
    this.lastRunAt = saved.lastRunAt;
    this.consecutiveFailures = saved.consecutiveFailures;
  }

  async setState(state: ServiceState): Promise<void> {
    this.state = state;
    if (state === "running" && !this.startedAt) this.startedAt = this.deps.clock.now();
    if (state === "stopped") this.startedAt = null;
    await this.deps.store
      .setState(this.service, state, this.deps.instanceId, this.deps.clock.now())
      .catch((error: unknown) => this.deps.logger.warn({ err: toError(error) }, "could not persist service state"));
  }

  /** Records one run (a pass, a drain, a backup). Never throws: status must not break work. */
  async record(startedAt: Date, error: unknown, details: Record<string, unknown> | null = null): Promise<void> {
    const at = this.deps.clock.now();
    const err = error === undefined || error === null ? null : toError(error);
    const seconds = Math.max(0, at.getTime() - startedAt.getTime()) / 1000;
    const labels = { service: this.service };
    this.deps.metrics.serviceRuns.inc(labels);
    this.deps.metrics.serviceRunDuration.observe(labels, seconds);
    if (err) this.deps.metrics.serviceFailures.inc(labels);
    this.lastRunAt = at;
    this.runs += 1;
    if (err) {
      this.failures += 1;
      this.consecutiveFailures += 1;
      this.lastError = { message: err.message, at };
    } else {
      this.consecutiveFailures = 0;
      this.lastSuccessAt = at;
    }
    try {
      const saved = await this.deps.store.recordRun(this.service, {
        // A run recorded while the service is not running here (`steward run ...`) must not
        // tell the cluster the service is stopped: another process may be running it.
        state: this.state === "stopped" ? null : this.state,
        instance: this.deps.instanceId,
        at,
        error: err,
        nextRunAt: this.nextRunAt,
        details,
      });
      // Other processes may have run too: the shared row holds the cluster's counts.
      this.runs = saved.runs;
      this.failures = saved.failures;
    } catch (persistError) {
      this.deps.logger.warn({ err: toError(persistError) }, "could not persist run record");
    }
    this.deps.onRecorded?.({ service: this.service, at, error: err, details });
  }

  /** A service that has a status is enabled: the supervisor creates no other. */
  status(details: Record<string, unknown>): ServiceStatus {
    return {
      name: this.service,
      enabled: true,
      state: this.state,
      leader: this.leader,
      startedAt: iso(this.startedAt),
      lastRunAt: iso(this.lastRunAt),
      lastSuccessAt: iso(this.lastSuccessAt),
      lastError: this.lastError ? { message: this.lastError.message, at: this.lastError.at.toISOString() } : null,
      nextRunAt: iso(this.nextRunAt),
      runs: this.runs,
      failures: this.failures,
      consecutiveFailures: this.consecutiveFailures,
      details,
    };
  }

  private adopt(saved: PersistedServiceState): void {
    this.lastRunAt = saved.lastRunAt;
    this.lastSuccessAt = saved.lastSuccessAt;
    this.lastError = saved.lastError?.at ? { message: saved.lastError.message, at: saved.lastError.at } : null;
    this.runs = saved.runs;
    this.failures = saved.failures;
    this.consecutiveFailures = saved.consecutiveFailures;
  }
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}
