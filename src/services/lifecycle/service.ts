import type { Counter } from "prom-client";
import { toError } from "../../core/errors.js";
import { counter } from "../../core/metrics.js";
import { type IntervalService, leaderService, passHost, type Scheduler } from "../../scheduling/interval-loop.js";
import type { SubjectType } from "../../subjects/index.js";
import type { ServiceContext } from "../contract.js";
import { type Enqueue, enqueueFor } from "../email/index.js";
import { LifecyclePass, type LifecycleSummary } from "./pass.js";
import type { NoticeKind } from "./rules.js";
import type { StatusCounts } from "./store.js";

export interface LifecycleOptions {
  /** Defaults to the email queue's enqueueEmail. */
  enqueue?: Enqueue;
}

/**
 * The lifecycle scheduler: a leader-elected interval service (one process runs each pass)
 * around LifecyclePass, keeping the fields its synchronous status() reports.
 */
export class LifecycleScheduler implements Scheduler<LifecycleSummary> {
  readonly pass: LifecyclePass;
  private inPass = false;
  private statuses: Record<SubjectType, StatusCounts> | null = null;
  private totals: Record<NoticeKind, number> | null = null;
  private last: LifecycleSummary | null = null;
  private readonly noticeCounter: Counter<"kind">;

  constructor(
    private readonly ctx: ServiceContext,
    options: LifecycleOptions,
  ) {
    this.noticeCounter = counter(ctx.metrics.registry, "steward_lifecycle_notices_total", "Lifecycle notices sent", [
      "kind",
    ]);
    this.pass = new LifecyclePass({
      ...passHost(ctx),
      config: ctx.config.lifecycle,
      enqueue: options.enqueue ?? enqueueFor(ctx),
      onNotices: (kind, n) => this.noticeCounter.inc({ kind }, n),
    });
  }

  async runOnce(signal: AbortSignal): Promise<LifecycleSummary> {
    this.inPass = true;
    try {
      const summary = await this.pass.run(signal);
      this.last = summary;
      const acted = sum(summary.notices) + sum(summary.statusChanges.project) + sum(summary.statusChanges.portrait);
      this.ctx.logger[acted > 0 || summary.failed > 0 ? "info" : "debug"](summary, "lifecycle pass");
      await this.refreshCounts();
      await this.digest(summary);
      return summary;
    } finally {
      this.inPass = false;
    }
  }

  /**
   * Counts for status(), once per pass (and at start, so a restarted process need not wait a
   * whole interval to report them): read from counters, so as cheap at ten million subjects as
   * at a thousand. On PostgreSQL the counters' per-backend shards are first folded together.
   */
  async refreshCounts(): Promise<void> {
    try {
      await this.pass.foldCounters();
      this.statuses = await this.pass.statusCounts();
      this.totals = await this.pass.noticeTotals();
    } catch (error) {
      this.ctx.logger.warn({ err: toError(error) }, "could not count lifecycle statuses");
    }
  }

  details(): Record<string, unknown> {
    return {
      passInProgress: this.inPass,
      statuses: this.statuses,
      notices: { lastPass: this.last?.notices ?? null, total: this.totals },
      lastPassMs: this.last?.durationMs ?? null,
    };
  }

  /**
   * One info alert per pass that changed a status or sent a notice; a quiet pass pages no
   * one. Notices the queue refused are a warning under one key, so its cool-down applies
   * while they keep failing pass after pass.
   */
  private async digest(s: LifecycleSummary): Promise<void> {
    const changes = sum(s.statusChanges.project) + sum(s.statusChanges.portrait);
    const notices = sum(s.notices);
    try {
      if (changes > 0 || notices > 0) {
        const message =
          `lifecycle pass at ${s.at}: ${changes} status change(s); notices 7day ${s.notices["7day"]}, ` +
          `24hour ${s.notices["24hour"]}, expired ${s.notices.expired}` +
          (s.withoutRecipient ? `; ${s.withoutRecipient} due without an owner email` : "");
        await this.ctx.alerter.alert("info", `lifecycle-digest:${s.at}`, message, {
          statusChanges: s.statusChanges,
          notices: s.notices,
          withoutRecipient: s.withoutRecipient,
        });
      }
      if (s.failed > 0) {
        await this.ctx.alerter.alert(
          "warning",
          "lifecycle-notices-refused",
          `lifecycle pass at ${s.at}: ${s.failed} notice(s) could not be queued; they are retried each pass`,
          { failed: s.failed },
        );
      }
    } catch (error) {
      this.ctx.logger.warn({ err: toError(error) }, "lifecycle digest not delivered");
    }
  }
}

export function createLifecycleService(
  ctx: ServiceContext,
  options: LifecycleOptions = {},
): IntervalService<LifecycleSummary> {
  return leaderService(ctx, "lifecycle", ctx.config.lifecycle.intervalMs, new LifecycleScheduler(ctx, options));
}

function sum(values: Record<string, number>): number {
  return Object.values(values).reduce((a, b) => a + b, 0);
}
