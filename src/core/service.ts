/** The contract between the supervisor and each hosted service. */

export type ServiceState = "disabled" | "starting" | "running" | "stopping" | "stopped" | "failed";

export interface ServiceStatus {
  name: string;
  enabled: boolean;
  state: ServiceState;
  /** true/false for leader-elected services; null where a service has no leader. */
  leader: boolean | null;
  startedAt: string | null;
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  lastError: { message: string; at: string } | null;
  nextRunAt: string | null;
  runs: number;
  failures: number;
  consecutiveFailures: number;
  details: Record<string, unknown>;
}

export interface Service {
  readonly name: string;
  /** Safe to call twice; a second call while starting returns the same promise. */
  start(): Promise<void>;
  /** Safe before start and twice; lets in-flight work finish within the shutdown grace. */
  stop(): Promise<void>;
  /** Synchronous, built from fields the service keeps; never waits on I/O. */
  status(): ServiceStatus;
}

export interface RunRecord {
  /** Null for a run made outside a running service (`steward run ...`): the state is left alone. */
  state: ServiceState | null;
  instance: string;
  at: Date;
  error: Error | null;
  nextRunAt: Date | null;
  details: Record<string, unknown> | null;
}

export interface PersistedServiceState {
  service: string;
  state: ServiceState;
  lastInstance: string | null;
  lastRunAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: { message: string; at: Date | null } | null;
  nextRunAt: Date | null;
  runs: number;
  failures: number;
  consecutiveFailures: number;
  details: Record<string, unknown> | null;
  updatedAt: Date | null;
}

/** Where service state is persisted (implemented in db/coordination). */
export interface ServiceStateStore {
  load(service: string): Promise<PersistedServiceState | undefined>;
  list(): Promise<PersistedServiceState[]>;
  setState(service: string, state: ServiceState, instance: string, now: Date): Promise<void>;
  recordRun(service: string, run: RunRecord): Promise<PersistedServiceState>;
}

const PRECEDENCE: readonly ServiceState[] = ["failed", "running", "starting", "stopping", "stopped", "disabled"];

/**
 * One state for a service run by several processes: failed if any live process has it failed
 * (that is what an operator must see), else running if any runs it. With no live process,
 * nothing is starting, running or stopping, whatever a process that was killed last wrote:
 * those read as stopped, while failed (and disabled) stand.
 */
export function clusterState(lastWritten: ServiceState, live: readonly ServiceState[]): ServiceState {
  if (live.length === 0) return lastWritten === "failed" || lastWritten === "disabled" ? lastWritten : "stopped";
  return PRECEDENCE.find((state) => live.includes(state)) ?? lastWritten;
}

export function disabledStatus(name: string): ServiceStatus {
  return {
    name,
    enabled: false,
    state: "disabled",
    leader: null,
    startedAt: null,
    lastRunAt: null,
    lastSuccessAt: null,
    lastError: null,
    nextRunAt: null,
    runs: 0,
    failures: 0,
    consecutiveFailures: 0,
    details: {},
  };
}
