import { Counter, type Registry } from "prom-client";
import type { ServiceContext, ServiceDefinition } from "../../core/context.js";
import { toError } from "../../core/errors.js";
import { IntervalService } from "../../scheduling/interval-loop.js";
import { enqueueEmail } from "../email/enqueue.js";
import type { SubjectType } from "../subjects/types.js";
import { type Enqueue, LifecyclePass, type LifecycleSummary } from "./pass.js";
import { addLifecycleRoutes } from "./routes.js";
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
export class LifecycleScheduler {
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
      sql: ctx.db.sql,
      clock: ctx.clock,
      logger: ctx.logger,
      config: ctx.config.lifecycle,
      enqueue: options.enqueue ?? enqueueEmail,
      onNotices: (kind, n) => this.noticeCounter.inc({ kind }, n),
    });
  }

  async runOnce(signal: AbortSignal): Promise<LifecycleSummary> {
    this.inPass = true;
    try {
      const summary = await this.pass.run(signal);
      this.last = summary;
      // Counts for status(): two grouped index scans, once per pass rather than per status call.
      this.statuses = await this.pass.statusCounts();
      this.totals = await this.pass.noticeTotals();
      await this.digest(summary);
      return summary;
    } finally {
      this.inPass = false;
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

  /** One info alert per pass that changed or sent anything; a quiet pass pages no one. */
  private async digest(s: LifecycleSummary): Promise<void> {
    const changes = sum(s.statusChanges.project) + sum(s.statusChanges.portrait);
    const notices = sum(s.notices);
    if (changes === 0 && notices === 0 && s.failed === 0 && s.withoutRecipient === 0) return;
    const message =
      `lifecycle pass at ${s.at}: ${changes} status change(s); notices 7day ${s.notices["7day"]}, ` +
      `24hour ${s.notices["24hour"]}, expired ${s.notices.expired}` +
      (s.failed ? `; ${s.failed} not enqueued (retried next pass)` : "") +
      (s.withoutRecipient ? `; ${s.withoutRecipient} due without an owner email` : "");
    try {
      await this.ctx.alerter.alert("info", `lifecycle-digest:${s.at}`, message, {
        statusChanges: s.statusChanges,
        notices: s.notices,
        failed: s.failed,
        withoutRecipient: s.withoutRecipient,
      });
    } catch (error) {
      this.ctx.logger.warn({ err: toError(error) }, "lifecycle digest not delivered");
    }
  }
}

export function createLifecycleService(
  ctx: ServiceContext,
  options: LifecycleOptions = {},
): IntervalService<LifecycleSummary> {
  const scheduler = new LifecycleScheduler(ctx, options);
  return new IntervalService<LifecycleSummary>(ctx, {
    name: "lifecycle",
    enabled: ctx.config.lifecycle.enabled,
    intervalMs: ctx.config.lifecycle.intervalMs,
    leader: true,
    runOnce: (signal) => scheduler.runOnce(signal),
    details: () => scheduler.details(),
  });
}

export function lifecycleDefinition(options: LifecycleOptions = {}): ServiceDefinition {
  return {
    name: "lifecycle",
    enabled: (config) => config.lifecycle.enabled,
    create: (ctx) => createLifecycleService(ctx, options),
    routes: (router, ctx) => addLifecycleRoutes(router, ctx),
  };
}

function sum(values: Record<string, number>): number {
  return Object.values(values).reduce((a, b) => a + b, 0);
}

/** A counter in the process's registry, reused when the service is created again after a crash. */
export function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}
