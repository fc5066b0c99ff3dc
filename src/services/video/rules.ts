import type { RotationType, VideoStatus } from "../../subjects/index.js";

/**
 * The video schedule as pure functions of one portrait's videos and the time now. Times are
 * instants compared as numbers (the seed compared naive strings). Randomness is injected.
 */

export interface VideoFacts {
  id: string;
  startAt: Date | null;
  endAt: Date | null;
  rotationType: RotationType;
  rotationOrder: number;
  status: VideoStatus;
  isShown: boolean;
  lastActivatedAt: Date | null;
}

export interface ScheduleOptions {
  /** VIDEO_SCHEDULER_ROTATION_INTERVAL: how long a rotating video stays shown. */
  rotationIntervalMs: number;
  /** VIDEO_SCHEDULER_ARCHIVE_AFTER_HOURS: how long after its end a video is archived. */
  archiveAfterMs: number;
}

export type VideoState = "scheduled" | "shown" | "hidden" | "archived";
export type ChangeReason = "schedule_activation" | "schedule_deactivation" | "rotation" | "archive";
export type ChangeAction = "show" | "hide" | "archive";

export interface PlannedChange {
  videoId: string;
  action: ChangeAction;
  reason: ChangeReason;
  from: VideoState;
  to: VideoState;
}

const ms = (d: Date | null): number | null => (d ? d.getTime() : null);

/** Active, started (or no start), not ended (or no end). */
export function isEligible(v: VideoFacts, now: Date): boolean {
  const t = now.getTime();
  const start = ms(v.startAt);
  const end = ms(v.endAt);
  return v.status === "active" && (start === null || start <= t) && (end === null || end > t);
}

export function videoState(v: VideoFacts, now: Date): VideoState {
  if (v.status === "archived") return "archived";
  if (v.isShown) return "shown";
  const start = ms(v.startAt);
  if (v.status === "active" && start !== null && start > now.getTime()) return "scheduled";
  return "hidden";
}

/**
 * Ended more than ARCHIVE_AFTER_HOURS ago, judged on every pass (the seed archived only on
 * passes that began on a minute divisible by ten, and ignored the setting).
 */
export function isDueForArchive(v: VideoFacts, now: Date, archiveAfterMs: number): boolean {
  const end = ms(v.endAt);
  return v.status !== "archived" && end !== null && now.getTime() - end > archiveAfterMs;
}

/** Which of overlapping videos shows: latest start (none counts as earliest), then rotation order, then id. */
export function compareChoice(a: VideoFacts, b: VideoFacts): number {
  const sa = ms(a.startAt) ?? Number.NEGATIVE_INFINITY;
  const sb = ms(b.startAt) ?? Number.NEGATIVE_INFINITY;
  if (sa !== sb) return sb > sa ? 1 : -1;
  return compareRotation(a, b);
}

/** The order a rotation walks: rotation order, then id. */
export function compareRotation(a: VideoFacts, b: VideoFacts): number {
  if (a.rotationOrder !== b.rotationOrder) return a.rotationOrder - b.rotationOrder;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function isRotationDue(current: VideoFacts, now: Date, rotationIntervalMs: number): boolean {
  const since = ms(current.lastActivatedAt);
  return since === null || now.getTime() - since >= rotationIntervalMs;
}

/**
 * The video after `current` in the rotation `pool` (sorted by compareRotation), by the
 * current video's rotation type; null when it stays (sequential at its last video).
 */
export function nextInRotation(current: VideoFacts, pool: VideoFacts[], random: () => number): VideoFacts | null {
  const index = pool.findIndex((v) => v.id === current.id);
  switch (current.rotationType) {
    case "sequential":
      return pool[index + 1] ?? null;
    case "cyclic":
      return pool[(index + 1) % pool.length] ?? null;
    case "random": {
      const others = pool.filter((v) => v.id !== current.id);
      const pick = Math.min(others.length - 1, Math.floor(random() * others.length));
      return others[pick] ?? null;
    }
    default:
      return null;
  }
}

interface Target {
  video: VideoFacts;
  /** The video the rotation moved on from, when it did. */
  rotatedFrom: string | null;
}

/**
 * The video a portrait should show. The anchor is the deterministic choice among eligible
 * videos; a non-rotating anchor simply shows. Otherwise the rotating videos take turns: the
 * shown one stays until ROTATION_INTERVAL has passed since it was shown, then moves on.
 * Being a function of the eligible set and the shown video, the choice stays put from pass
 * to pass (the seed flipped between two overlapping windows on every pass).
 */
function chooseTarget(
  eligible: VideoFacts[],
  now: Date,
  options: ScheduleOptions,
  random: () => number,
): Target | null {
  if (eligible.length === 0) return null;
  const sorted = [...eligible].sort(compareChoice);
  const anchor = sorted[0] as VideoFacts;
  if (anchor.rotationType === "none") return { video: anchor, rotatedFrom: null };
  const current = sorted.find((v) => v.isShown && v.rotationType !== "none");
  if (!current) return { video: anchor, rotatedFrom: null };
  const pool = eligible.filter((v) => v.rotationType !== "none").sort(compareRotation);
  if (pool.length >= 2 && isRotationDue(current, now, options.rotationIntervalMs)) {
    const next = nextInRotation(current, pool, random);
    if (next && next.id !== current.id) return { video: next, rotatedFrom: current.id };
  }
  return { video: current, rotatedFrom: null };
}

/**
 * Everything that should change for one portrait at `now`, in the order to apply it: archives
 * and hides before the show, so that no moment has two videos shown.
 */
export function planPortrait(
  videos: VideoFacts[],
  now: Date,
  options: ScheduleOptions,
  random: () => number,
): PlannedChange[] {
  const changes: PlannedChange[] = [];
  const live: VideoFacts[] = [];
  for (const v of videos) {
    if (isDueForArchive(v, now, options.archiveAfterMs)) {
      changes.push({ videoId: v.id, action: "archive", reason: "archive", from: videoState(v, now), to: "archived" });
    } else {
      live.push(v);
    }
  }
  const target = chooseTarget(
    live.filter((v) => isEligible(v, now)),
    now,
    options,
    random,
  );
  for (const v of live) {
    if (!v.isShown || v.id === target?.video.id) continue;
    const reason = target?.rotatedFrom === v.id ? "rotation" : "schedule_deactivation";
    const to = v.status === "archived" ? "archived" : "hidden";
    changes.push({ videoId: v.id, action: "hide", reason, from: "shown", to });
  }
  if (target && !target.video.isShown) {
    const reason = target.rotatedFrom ? "rotation" : "schedule_activation";
    changes.push({
      videoId: target.video.id,
      action: "show",
      reason,
      from: videoState(target.video, now),
      to: "shown",
    });
  }
  return changes;
}

/** The facts after `changes` (what the store writes), for tests and for replanning. */
export function applyChanges(videos: VideoFacts[], changes: PlannedChange[], now: Date): VideoFacts[] {
  const byId = new Map(changes.map((c) => [c.videoId, c]));
  return videos.map((v) => {
    const c = byId.get(v.id);
    if (!c) return v;
    if (c.action === "archive") return { ...v, status: "archived", isShown: false };
    if (c.action === "hide") return { ...v, isShown: false };
    return { ...v, isShown: true, lastActivatedAt: now };
  });
}
