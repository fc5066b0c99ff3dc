import type { Counter } from "prom-client";
import { toError } from "../../core/errors.js";
import { counter } from "../../core/metrics.js";
import { IntervalService } from "../../scheduling/interval-loop.js";
import type { ServiceContext } from "../contract.js";
import { type Enqueue, enqueueEmail, enqueueOptionsFor } from "../email/index.js";
import { VideoPass, type VideoSummary } from "./pass.js";
import type { ChangeReason, VideoState } from "./rules.js";

export interface VideoOptions {
  /** Defaults to the email queue's enqueueEmail. */
  enqueue?: Enqueue;
  /** Defaults to Math.random; tests pass a seeded source. */
  random?: () => number;
}

/** The video animation scheduler: a leader-elected interval service around VideoPass. */
export class VideoScheduler {
  readonly pass: VideoPass;
  private inPass = false;
  private states: Record<VideoState, number> | null = null;
  private last: VideoSummary | null = null;
  private readonly changeCounter: Counter<"reason">;
  private readonly clock: ServiceContext["clock"];
  private readonly logger: ServiceContext["logger"];

  constructor(ctx: ServiceContext, options: VideoOptions) {
    this.changeCounter = counter(ctx.metrics.registry, "steward_video_changes_total", "Video schedule changes", [
      "reason",
    ]);
    this.pass = new VideoPass({
      sql: ctx.db.sql,
      clock: ctx.clock,
      logger: ctx.logger,
      config: ctx.config.video,
      // The operator's EMAIL_TEMPLATES_DIR, size limit and Message-ID domain apply to notices too.
      enqueue:
        options.enqueue ??
        ((sql, input, o) => enqueueEmail(sql, input, enqueueOptionsFor(ctx.config.email, o.now, ctx.wake))),
      random: options.random ?? Math.random,
      actor: `steward:${ctx.instanceId}`,
    });
    this.clock = ctx.clock;
    this.logger = ctx.logger;
  }

  async runOnce(signal: AbortSignal): Promise<VideoSummary> {
    this.inPass = true;
    try {
      const summary = await this.pass.run(signal);
      this.last = summary;
      let changes = 0;
      for (const [reason, n] of Object.entries(summary.changes)) {
        if (n > 0) this.changeCounter.inc({ reason: reason as ChangeReason }, n);
        changes += n;
      }
      this.logger[changes > 0 || summary.failedPortraits > 0 ? "info" : "debug"](summary, "video pass");
      await this.refreshCounts();
      return summary;
    } finally {
      this.inPass = false;
    }
  }

  /** Counts for status(), once per pass and at start rather than per status call. */
  async refreshCounts(): Promise<void> {
    try {
      this.states = await this.pass.store.stateCounts(this.clock.now());
    } catch (error) {
      this.logger.warn({ err: toError(error) }, "could not count videos by state");
    }
  }

  details(): Record<string, unknown> {
    return {
      passInProgress: this.inPass,
      videos: this.states,
      lastPassChanges: this.last?.changes ?? null,
      lastPassMs: this.last?.durationMs ?? null,
    };
  }
}

export function createVideoService(ctx: ServiceContext, options: VideoOptions = {}): IntervalService<VideoSummary> {
  const scheduler = new VideoScheduler(ctx, options);
  return new IntervalService<VideoSummary>(ctx, {
    name: "video",
    intervalMs: ctx.config.video.intervalMs,
    leader: true,
    runOnce: (signal) => scheduler.runOnce(signal),
    details: () => scheduler.details(),
    afterStart: () => scheduler.refreshCounts(),
  });
}
