import type { ServiceDefinition } from "../contract.js";
import { VIDEO_COUNTERS } from "./counters.js";
import type { VideoSummary } from "./pass.js";
import { addVideoRoutes } from "./routes.js";
import { createVideoService, type VideoOptions } from "./service.js";

/** The video scheduler's entry in the registry; tests pass their own enqueue and random source. */
export function videoDefinition(options: VideoOptions = {}): ServiceDefinition {
  return {
    name: "video",
    enabled: (config) => config.video.enabled,
    create: (ctx) => createVideoService(ctx, options),
    pass: {
      // Safe beside a running leader: every write is conditional and transactional.
      run: (ctx) => createVideoService(ctx, options).runNow(),
      text: (summary: VideoSummary) => videoText(summary),
      failures: (summary: VideoSummary) => summary.failedPortraits,
    },
    routes: (router, ctx) => addVideoRoutes(router, ctx),
    counters: VIDEO_COUNTERS,
  };
}

/** `steward run video`, for a terminal. */
function videoText(s: VideoSummary): string {
  const c = s.changes;
  return [
    `video pass at ${s.at} (${s.durationMs} ms) over ${s.portraits} portrait(s)`,
    `  changes: ${c.schedule_activation} shown by schedule, ${c.schedule_deactivation} hidden by schedule, ` +
      `${c.rotation} rotation, ${c.archive} archived`,
    `  notices queued: ${s.notices}${s.noticeFailures ? ` (${s.noticeFailures} refused by the queue)` : ""}`,
    ...(s.failedPortraits ? [`  ${s.failedPortraits} portrait(s) not written (see the log)`] : []),
    "",
  ].join("\n");
}
