import { type BackoffOptions, backoffDelay, restartBackoff } from "./backoff.js";
import type { Clock } from "./clock.js";
import { toError } from "./errors.js";
import type { Logger } from "./logger.js";
import { disabledStatus, type Service, type ServiceStateStore, type ServiceStatus } from "./service.js";
import { StartStop } from "./start-stop.js";

/** One service as the supervisor sees it: resolved from its definition and the config by the host. */
export interface SupervisedService {
  readonly name: string;
  readonly enabled: boolean;
  /** Builds the service; `reportCrash` is the supervisor's hook into it (its loop died). */
  create(reportCrash: (error: Error) => void): Service;
}

/** A service that failed and waits for its restart (the host alerts on it). */
export interface ServiceFailure {
  service: string;
  error: Error;
  restartInMs: number;
}

export interface SupervisorDeps {
  services: readonly SupervisedService[];
  /** SHUTDOWN_GRACE_SECONDS: what services get to stop; the backstop waits 5 s more. */
  shutdownGraceMs: number;
  clock: Clock;
  logger: Logger;
  stateStore: ServiceStateStore;
  instanceId: string;
  /** Told of each failure as it is marked, before the stop and the backoff. */
  onFailure(failure: ServiceFailure): void;
  backoff?: BackoffOptions;
  random?: () => number;
}

interface Managed {
  readonly entry: SupervisedService;
  service: Service | undefined;
  /** Set while the service is down and waiting for its restart. */
  failure: { error: Error; at: Date; restartAt: Date } | undefined;
  startFailures: number;
  restarting: Promise<void> | undefined;
}

/**
 * Hosts the services. Each runs on its own: one that fails to start or whose loop dies is
 * marked failed, alerted, and restarted with capped exponential backoff and jitter, while
 * the others carry on.
 */
export class Supervisor {
  private readonly managed = new Map<string, Managed>();
  private readonly guard = new StartStop();
  private stopping = new AbortController();

  constructor(private readonly deps: SupervisorDeps) {
    for (const entry of deps.services) {
      this.managed.set(entry.name, {
        entry,
        service: undefined,
        failure: undefined,
        startFailures: 0,
        restarting: undefined,
      });
    }
  }

  start(): Promise<void> {
    return this.guard.start(
      async () => {
        this.stopping = new AbortController();
        await Promise.all(
          [...this.managed.values()].map(async (m) => {
            if (!m.entry.enabled) {
              await this.deps.stateStore
                .setState(m.entry.name, "disabled", this.deps.instanceId, this.deps.clock.now())
                .catch(() => {});
              return;
            }
            await this.startOne(m);
          }),
        );
      },
      () => this.stopAll(),
    );
  }

  stop(): Promise<void> {
    return this.guard.stop(() => this.stopAll());
  }

  names(): string[] {
    return [...this.managed.keys()];
  }

  service(name: string): Service | undefined {
    return this.managed.get(name)?.service;
  }

  status(): Record<string, ServiceStatus> {
    const out: Record<string, ServiceStatus> = {};
    for (const [name, m] of this.managed) {
      const current = this.statusOf(m);
      if (current) out[name] = current;
    }
    return out;
  }

  statusOf(nameOrManaged: string | Managed): ServiceStatus | undefined {
    const m = typeof nameOrManaged === "string" ? this.managed.get(nameOrManaged) : nameOrManaged;
    if (!m) return undefined;
    if (!m.entry.enabled) return disabledStatus(m.entry.name);
    const base = m.service?.status() ?? { ...disabledStatus(m.entry.name), enabled: true, state: "stopped" };
    if (!m.failure) return base;
    return {
      ...base,
      state: "failed",
      lastError: { message: m.failure.error.message, at: m.failure.at.toISOString() },
      nextRunAt: m.failure.restartAt.toISOString(),
    };
  }

  private async startOne(m: Managed): Promise<void> {
    try {
      m.service ??= m.entry.create((error) => this.onFailure(m, error));
      // Cleared before, not after: a loop may crash (and report it) before start() resolves.
      m.failure = undefined;
      await m.service.start();
      m.startFailures = 0;
    } catch (error) {
      m.startFailures += 1;
      this.onFailure(m, toError(error));
    }
  }

  private onFailure(m: Managed, error: Error): void {
    if (this.stopping.signal.aborted || m.restarting) return;
    const name = m.entry.name;
    const streak = Math.max(m.service?.status().consecutiveFailures ?? 0, m.startFailures, 1);
    const delay = backoffDelay(streak, this.deps.backoff ?? restartBackoff, this.deps.random);
    const now = this.deps.clock.now();
    m.failure = { error, at: now, restartAt: new Date(now.getTime() + delay) };
    this.deps.onFailure({ service: name, error, restartInMs: delay });
    m.restarting = (async () => {
      await m.service?.stop().catch((stopError: unknown) => {
        this.deps.logger.warn({ service: name, err: toError(stopError) }, "stop after failure failed");
      });
      // After the stop: the service's own shutdown persists `stopped`, which must not be the
      // last word while it waits to restart.
      await this.deps.stateStore.setState(name, "failed", this.deps.instanceId, this.deps.clock.now()).catch(() => {});
      await this.deps.clock.sleep(delay, this.stopping.signal);
      m.restarting = undefined;
      if (this.stopping.signal.aborted) return;
      this.deps.logger.info({ service: name, attempt: streak }, "restarting service");
      await this.startOne(m);
    })();
  }

  private async stopAll(): Promise<void> {
    this.stopping.abort();
    const grace = this.deps.shutdownGraceMs;
    const stops = [...this.managed.values()].map(async (m) => {
      await m.restarting;
      await m.service?.stop();
    });
    // Services bound their own drain by the grace; this bound is the backstop for one that
    // does not, so a stuck service can never keep the process from exiting.
    let timer: NodeJS.Timeout | undefined;
    const backstop = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), grace + 5_000);
      timer.unref();
    });
    const outcome = await Promise.race([Promise.allSettled(stops), backstop]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      this.deps.logger.error({ graceMs: grace }, "services did not stop within the grace period");
      return;
    }
    for (const [index, result] of outcome.entries()) {
      if (result.status === "rejected") {
        const name = [...this.managed.keys()][index];
        this.deps.logger.error({ service: name, err: toError(result.reason) }, "service failed to stop");
      }
    }
  }
}
