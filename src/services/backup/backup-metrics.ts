import { Counter, Gauge, Histogram, type Registry } from "prom-client";

type Labels = "kind";

/** Backup figures on the host's registry: duration, bytes, failures. */
export class BackupMetrics {
  private readonly duration: Histogram<"kind" | "status">;
  private readonly lastBytes: Gauge<Labels>;
  private readonly writtenBytes: Counter<Labels>;
  private readonly failures: Counter<Labels>;
  private readonly lastSuccess: Gauge<Labels>;
  private readonly skipped: Counter<"job">;

  constructor(registry: Registry) {
    // The same registry may see this service built twice (a supervisor restart): reuse.
    const reuse = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
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
    this.lastBytes = reuse(
      "steward_backup_last_bytes",
      () =>
        new Gauge({
          name: "steward_backup_last_bytes",
          help: "Size of the last good backup",
          labelNames: ["kind"],
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
    this.lastSuccess = reuse(
      "steward_backup_last_success_timestamp_seconds",
      () =>
        new Gauge({
          name: "steward_backup_last_success_timestamp_seconds",
          help: "When the newest verified backup finished",
          labelNames: ["kind"],
          registers,
        }),
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
  }

  succeeded(kind: string, seconds: number, bytes: number, at: Date): void {
    this.duration.observe({ kind, status: "succeeded" }, seconds);
    this.lastBytes.set({ kind }, bytes);
    this.writtenBytes.inc({ kind }, bytes);
    this.lastSuccess.set({ kind }, at.getTime() / 1000);
  }

  failed(kind: string, seconds: number): void {
    this.duration.observe({ kind, status: "failed" }, seconds);
    this.failures.inc({ kind });
  }

  skippedTick(job: string): void {
    this.skipped.inc({ job });
  }
}
