import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { toError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { registered } from "../../core/metrics.js";
import { BACKUP_KINDS, type BackupKind } from "./manifest.js";
import type { BackupRecord } from "./store.js";

type Labels = "kind";

/** Where the last-good gauges come from: the `backups` table (BackupStore). */
export interface LastGoodSource {
  newestVerified(kind: BackupKind): Promise<BackupRecord | undefined>;
}

/**
 * Backup figures on the host's registry. Counters and the duration histogram count what this
 * process did; the last-good gauges are read from the database at each scrape, so a backup
 * taken by `steward backup run` or by another process shows in every process's /metrics.
 */
export class BackupMetrics {
  private readonly duration: Histogram<"kind" | "status">;
  private readonly writtenBytes: Counter<Labels>;
  private readonly failures: Counter<Labels>;
  private readonly skipped: Counter<"job">;
  private loading: Promise<void> | undefined;

  constructor(registry: Registry, source?: { store: LastGoodSource; logger: Logger }) {
    // The same registry may see this service built twice (a supervisor restart): reuse.
    const reuse = <T>(name: string, make: () => T): T => registered(registry, name, make);
    const registers = [registry];
    this.duration = reuse(
      "steward_backup_duration_seconds",
      () =>
        new Histogram({
          name: "steward_backup_duration_seconds",
          help: "Duration of a backup, writing and verifying, by kind and outcome",
          labelNames: ["kind", "status"],
          buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200],
          registers,
        }),
    );
    this.writtenBytes = reuse(
      "steward_backup_bytes_total",
      () =>
        new Counter({
          name: "steward_backup_bytes_total",
          help: "Bytes of good backups written",
          labelNames: ["kind"],
          registers,
        }),
    );
    this.failures = reuse(
      "steward_backup_failures_total",
      () =>
        new Counter({ name: "steward_backup_failures_total", help: "Failed backups", labelNames: ["kind"], registers }),
    );
    this.skipped = reuse(
      "steward_backup_skipped_ticks_total",
      () =>
        new Counter({
          name: "steward_backup_skipped_ticks_total",
          help: "Scheduled ticks skipped (a run still going, or missed beyond the grace)",
          labelNames: ["job"],
          registers,
        }),
    );
    if (source) this.addLastGood(registry, source.store, source.logger);
  }

  /**
   * Three gauges filled by one read per scrape: the scrape collects them together, and the
   * first to ask starts the read the other two wait on.
   */
  private addLastGood(registry: Registry, store: LastGoodSource, logger: Logger): void {
    if (registry.getSingleMetric("steward_backup_last_success_timestamp_seconds")) return;
    const gauges: Record<string, Gauge<Labels>> = {};
    const load = async () => {
      try {
        const newest = await Promise.all(BACKUP_KINDS.map((kind) => store.newestVerified(kind)));
        for (const gauge of Object.values(gauges)) gauge.reset();
        for (const record of newest) {
          if (!record?.finishedAt) continue;
          const kind = record.kind;
          gauges.success?.set({ kind }, record.finishedAt.getTime() / 1000);
          gauges.bytes?.set({ kind }, record.bytes ?? 0);
          gauges.duration?.set({ kind }, (record.finishedAt.getTime() - record.startedAt.getTime()) / 1000);
        }
      } catch (error) {
        // The scrape still answers, with the figures of the last read that worked.
        logger.warn({ err: toError(error) }, "could not read the backup gauges from the database");
      }
    };
    const collect = () => {
      this.loading ??= load().finally(() => {
        this.loading = undefined;
      });
      return this.loading;
    };
    const gauge = (name: string, help: string) =>
      new Gauge({ name, help, labelNames: ["kind"], registers: [registry], collect });
    gauges.success = gauge(
      "steward_backup_last_success_timestamp_seconds",
      "When the newest verified backup of each kind finished writing, from the backups table",
    );
    gauges.bytes = gauge("steward_backup_last_bytes", "Size of the newest verified backup of each kind");
    gauges.duration = gauge(
      "steward_backup_last_duration_seconds",
      "How long the newest verified backup of each kind took to write",
    );
  }

  succeeded(kind: string, seconds: number, bytes: number): void {
    this.duration.observe({ kind, status: "succeeded" }, seconds);
    this.writtenBytes.inc({ kind }, bytes);
  }

  failed(kind: string, seconds: number): void {
    this.duration.observe({ kind, status: "failed" }, seconds);
    this.failures.inc({ kind });
  }

  skippedTick(job: string): void {
    this.skipped.inc({ job });
  }
}
