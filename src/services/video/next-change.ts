import type { ChangeReason, PlannedChange, ScheduleOptions, VideoFacts } from "./rules.js";
import { planPortrait } from "./rules.js";

/** How a change reads on the dashboard: the history's reasons, as verbs. */
export const CHANGE_NAMES: Record<ChangeReason, string> = {
  schedule_activation: "activate",
  schedule_deactivation: "deactivate",
  rotation: "rotate",
  archive: "archive",
};

export interface NextChange {
  at: Date;
  change: string;
  videoId: string | null;
}

/**
 * The next change the scheduler will make to one portrait: the rules run at each instant
 * where their answer can change (a start, an end, an archive deadline, a rotation falling
 * due), soonest first, until one plans something. A change already due is reported at `now`:
 * the next pass makes it. A random rotation's pick is not known ahead, so its video is null.
 */
export function nextChange(videos: VideoFacts[], now: Date, options: ScheduleOptions): NextChange | null {
  const random = () => 0;
  const due = planPortrait(videos, now, options, random);
  if (due.length > 0) return describe(due, now, videos);
  const t = now.getTime();
  const instants = new Set<number>();
  for (const v of videos) {
    if (v.startAt) instants.add(v.startAt.getTime());
    if (v.endAt) {
      instants.add(v.endAt.getTime());
      // Archived strictly after the deadline, so the first instant past it.
      instants.add(v.endAt.getTime() + options.archiveAfterMs + 1);
    }
    if (v.isShown && v.rotationType !== "none" && v.lastActivatedAt) {
      instants.add(v.lastActivatedAt.getTime() + options.rotationIntervalMs);
    }
  }
  for (const at of [...instants].filter((i) => i > t).sort((a, b) => a - b)) {
    const when = new Date(at);
    const changes = planPortrait(videos, when, options, random);
    if (changes.length > 0) return describe(changes, when, videos);
  }
  return null;
}

/** The change that matters most to a viewer: what will show, else what is hidden, else an archive. */
function describe(changes: PlannedChange[], at: Date, videos: VideoFacts[]): NextChange {
  const main =
    changes.find((c) => c.action === "show") ??
    changes.find((c) => c.action === "hide") ??
    (changes[0] as PlannedChange);
  const randomPick = main.reason === "rotation" && videos.some((v) => v.isShown && v.rotationType === "random");
  return { at, change: CHANGE_NAMES[main.reason], videoId: randomPick ? null : main.videoId };
}
