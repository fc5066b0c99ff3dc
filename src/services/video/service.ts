import type { Counter } from "prom-client";
import { toError } from "../../core/errors.js";
import { counter } from "../../core/metrics.js";
import { type IntervalService, leaderService, passHost, type Scheduler } from "../../scheduling/interval-loop.js";
import type { ServiceContext } from "../contract.js";
import { type Enqueue, enqueueFor } from "../email/index.js";
import { VideoPass, type VideoSummary } from "./pass.js";
import type { ChangeReason } from "./rules.js";
import type { CountedState } from "./store.js";

export interface VideoOptions {
  /** Defaults to the email queue's enqueueEmail. */
  enqueue?: Enqueue;
  /** Defaults to Math.random; tests pass a seeded source. */
  random?: () => number;
}

/** The video animation scheduler: a leader-elected interval service around VideoPass. */
export class VideoScheduler implements Scheduler<VideoSummary> {
  readonly pass: VideoPass;
  private inPass = false;
  private states: Record<CountedState, number> | null = null;
  private last: VideoSummary | null = null;
  private readonly changeCounter: Counter<"reason">;
  private readonly logger: ServiceContext["logger"];

  constructor(ctx: ServiceContext, options: VideoOptions) {
    this.pass = new VideoPass({
      ...passHost(ctx),
      config: ctx.config.video,
      enqueue: options.enqueue ?? enqueueFor(ctx),
      random: options.random ?? Math.random,
      actor: `steward:${ctx.instanceId}`,
    });
    this.changeCounter = counter(ctx.metrics.registry, "steward_video_changes_total", "Video schedule changes", [
      "reason",
    ]);
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

  /**
   * Counts for status(), once per pass and at start: read from counters, so as cheap at ten
   * million videos as at a thousand. On PostgreSQL the counters' per-backend shards are first
   * folded together, so a read sums a handful of rows per name.
   */
  async refreshCounts(): Promise<void> {
    try {
      await this.pass.store.foldCounters();
      this.states = await this.pass.store.stateCounts();
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
  return leaderService(ctx, "video", ctx.config.video.intervalMs, new VideoScheduler(ctx, options));
}
