import { readableUtc } from "../../subjects/index.js";
import type { EmailInput } from "../email/index.js";
import type { ChangeReason, PlannedChange } from "./rules.js";
import type { PortraitInfo, VideoRecord } from "./store.js";

export const VIDEO_TEMPLATE_ID = "video_schedule_change";

const REASON_TEXT: Record<ChangeReason, string> = {
  schedule_activation: "shown by its schedule",
  schedule_deactivation: "hidden by its schedule",
  rotation: "rotation",
  archive: "archived after its end",
};

/**
 * The one notice for one portrait's changes in one pass. Its idempotency key is derived
 * from the first history row written for them, which is unique and commits with it.
 */
export function videoChangeEmail(
  portraitId: string,
  info: PortraitInfo,
  videos: VideoRecord[],
  changes: PlannedChange[],
  firstHistoryId: number,
  now: Date,
): EmailInput {
  return {
    to: info.recipient ?? "",
    templateId: VIDEO_TEMPLATE_ID,
    variables: videoChangeVariables(portraitId, info, videos, changes, now),
    idempotencyKey: `video-change:${portraitId}:${firstHistoryId}`,
  };
}

/** Every tag the video_schedule_change template uses (a test checks the template against this). */
export function videoChangeVariables(
  portraitId: string,
  info: PortraitInfo,
  videos: VideoRecord[],
  changes: PlannedChange[],
  now: Date,
): Record<string, unknown> {
  const title = (id: string) => videos.find((v) => v.id === id)?.title || id;
  const shown = changes.find((c) => c.action === "show");
  const stillShown = videos.find((v) => v.isShown && !changes.some((c) => c.videoId === v.id));
  const showing = shown ? shown.videoId : stillShown?.id;
  return {
    portraitId,
    portraitTitle: info.title || portraitId,
    at: now.toISOString(),
    atText: readableUtc(now, false),
    changeCount: changes.length,
    changes: changes.map((c) => ({
      videoId: c.videoId,
      videoTitle: title(c.videoId),
      from: c.from,
      to: c.to,
      reason: c.reason,
      reasonText: REASON_TEXT[c.reason],
    })),
    nowShowing: showing ? title(showing) : null,
  };
}
