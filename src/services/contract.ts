import type { Command } from "commander";
import type { Alert, AlertChannel, Alerter } from "../alerting/alerter.js";
import type { CliRuntime } from "../cli/runtime.js";
import type { Config } from "../config/load.js";
import type { Clock } from "../core/clock.js";
import type { EventHub } from "../core/events.js";
import type { Logger } from "../core/logger.js";
import type { Metrics } from "../core/metrics.js";
import type { RecordedRun } from "../core/run-tracker.js";
import type { Service, ServiceStateStore } from "../core/service.js";
import type { ServiceFailure } from "../core/supervisor.js";
import type { WakeHub } from "../core/wake.js";
import type { CounterSet } from "../db/coordination/counters.js";
import type { LeaseStore } from "../db/coordination/leases.js";
import type { SettingsStore } from "../db/coordination/settings.js";
import type { TickClaimStore } from "../db/coordination/tick-claims.js";
import type { Database } from "../db/open.js";
import type { Sql } from "../db/sql.js";
import type { LiveSource } from "../http/live-feed.js";
import type { Router } from "../http/router.js";
import type { TickOutcome } from "../scheduling/cron-job.js";

/**
 * The contract between the host (app.ts, the CLI) and each service: what a service is given
 * (ServiceContext) and what it offers (ServiceDefinition). It sits above core/, which knows
 * only the Service interface, and below the services.
 */

/** What the host tells its event hub; each is fed by a hook that was there before the hub. */
export interface HostEvents {
  /** A service recorded a run (a pass, a drain, a backup), once it is persisted: RunTracker.record. */
  "run:recorded": RecordedRun;
  /** A cron job decided a tick: ran it, or skipped it and why (CronJob's onTick). */
  "cron:tick": { job: string; scheduledAt: Date; catchUp: boolean; outcome: TickOutcome };
  /** A send attempt settled: sent, to retry, failed for good, or given back (WorkerPool's onAttempt). */
  "email:attempt": {
    jobId: string;
    outcome: "sent" | "retry" | "failed" | "requeue";
    code: number | null;
    error: string | null;
  };
  /** The supervisor marked a service failed; it restarts after `restartInMs` (its failure callback). */
  "service:failed": ServiceFailure;
  /** An alert went out past its cool-down (the app's alert channel into the hub). */
  "alert:raised": Alert;
  /** A backup started, moved on, or ended in this process (the runner's progress, throttled). */
  "backup:progress": BackupProgress;
}

/** A backup's progress as the dashboard draws it: the phase and how far along, in percent. */
export interface BackupProgress {
  id: string;
  kind: "database" | "storage" | "full";
  phase: "database" | "storage" | "verify" | "done" | "failed";
  percent: number;
  bytes: number;
  /** running, then the record's status: succeeded (verified) or failed. */
  status: string;
}

/** Everything a service is given. Side effects enter only through here. */
export interface ServiceContext {
  readonly config: Config;
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly alerter: Alerter;
  readonly metrics: Metrics;
  readonly instanceId: string;
  /** The host's wake hub: an enqueue here announces itself, and the email workers listen. */
  readonly wake: WakeHub;
  /** The host's event hub: what happened, for whoever listens (tests, later the dashboard). */
  readonly events: EventHub<HostEvents>;
  /** This process, passed in like the clock (main.ts reads them once). */
  readonly hostname: string;
  readonly pid: number;
  readonly stores: {
    readonly leases: LeaseStore;
    readonly ticks: TickClaimStore;
    readonly state: ServiceStateStore;
    readonly settings: SettingsStore;
  };
  /**
   * Tells the supervisor that the service's loop died. The supervisor marks it failed,
   * alerts, stops it, and starts it again after a backoff.
   */
  reportCrash(error: Error): void;
}

/**
 * A service's entry in the registry (services/registry.ts): everything it adds to the host, so
 * that adding a service touches its own folder, the registry and its settings, and little else.
 */
export interface ServiceDefinition {
  readonly name: string;
  enabled(config: Config): boolean;
  create(ctx: ServiceContext): Service;
  /**
   * HTTP routes (POST /emails, PUT /projects/<id>, ...). Registered whether or not the service
   * runs in this process, so any process accepts work.
   */
  routes?(router: Router, ctx: ServiceContext): void;
  /**
   * Alert channels the service offers every Alerter (ALERT_EMAIL_TO: the email queue). Built
   * whether or not the service runs in this process, like routes, so an alert raised at boot,
   * or in a process that sends no mail, still reaches the channel.
   */
  alertChannels?(deps: { config: Config; sql: Sql; clock: Clock; wake: WakeHub }): AlertChannel[];
  /**
   * Snapshots for the dashboard's live stream (GET /events), read every few seconds while a
   * browser listens and for each one as it connects: the email queue's `counts` and `batch`.
   */
  live?(ctx: ServiceContext): LiveSource[];
  /** Commands the service adds to `steward` (`steward email ...`, `steward backup ...`). */
  commands?(program: Command, cli: CommandContext): void;
  /** One pass run by hand, `steward run <name>`, for a service that works in passes. */
  pass?: ManualPass;
  /**
   * The counters (db/coordination/counters.ts) the service's status reads, and how to count them
   * afresh: `steward doctor recount` recounts every definition's, enabled here or not.
   */
  counters?: readonly CounterSet[];
}

/** What a service's commands are given, besides commander's program. */
export interface CommandContext {
  readonly rt: CliRuntime;
  /** Every service's definition: an alert a command raises reaches the channels they offer. */
  readonly definitions: readonly ServiceDefinition[];
  /** Raises the command's exit code (the highest asked for wins). */
  setExit(code: number): void;
}

/** `steward run <name>`: one pass outside the loop, recorded like any other. */
export interface ManualPass {
  run(ctx: ServiceContext): Promise<Record<string, unknown>>;
  /** The summary as a terminal shows it. */
  text(summary: Record<string, unknown>): string;
  /** What could not be done; the command exits 1 when it is more than none. */
  failures(summary: Record<string, unknown>): number;
}
