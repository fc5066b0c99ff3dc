import type { Alerter } from "../alerting/alerter.js";
import type { Config } from "../config/load.js";
import type { Clock } from "../core/clock.js";
import type { EventHub } from "../core/events.js";
import type { Logger } from "../core/logger.js";
import type { Metrics } from "../core/metrics.js";
import { RunTracker } from "../core/run-tracker.js";
import type { WakeHub } from "../core/wake.js";
import { LeaseStore } from "../db/coordination/leases.js";
import { SqlServiceStateStore } from "../db/coordination/service-state.js";
import { SettingsStore } from "../db/coordination/settings.js";
import { TickClaimStore } from "../db/coordination/tick-claims.js";
import type { Database } from "../db/open.js";
import type { HostEvents, ServiceContext } from "./contract.js";

/** What the host has built before any service: the parts every context shares. */
export interface HostParts {
  config: Config;
  db: Database;
  clock: Clock;
  logger: Logger;
  alerter: Alerter;
  metrics: Metrics;
  wake: WakeHub;
  events: EventHub<HostEvents>;
  hostname: string;
  pid: number;
}

/**
 * The one way a ServiceContext is built: by the app for each service it hosts and for the
 * routes, and by the CLI for a command that runs a service's work (`steward run`, `backup run`).
 * A crash report goes nowhere unless a supervisor is listening.
 */
export function createServiceContext(host: HostParts, reportCrash: (error: Error) => void = () => {}): ServiceContext {
  const sql = host.db.sql;
  return {
    ...host,
    instanceId: host.config.instanceId,
    stores: {
      leases: new LeaseStore(sql),
      ticks: new TickClaimStore(sql),
      state: new SqlServiceStateStore(sql),
      settings: new SettingsStore(sql),
    },
    reportCrash,
  };
}

/** The status fields of the service `name`, kept for its status() and written through to service_state. */
export function createRunTracker(ctx: ServiceContext, name: string): RunTracker {
  return new RunTracker(name, {
    clock: ctx.clock,
    store: ctx.stores.state,
    instanceId: ctx.instanceId,
    logger: ctx.logger,
    metrics: ctx.metrics,
    onRecorded: (run) => ctx.events.emit("run:recorded", run),
  });
}
