import { readSeedTime } from "./naive-time.js";
import type { Issue, PlannedHistory, PlannedVideo } from "./plan-types.js";
import { oneOf, Problem, type Row, requiredTime, text, time } from "./seed-values.js";

/** Videos and their history, planned: what shows stays shown, and a rotation goes on from where it was. */

/** The last time the seed's history shows each video activated. */
export function lastActivations(history: Row[]): Map<string, Date> {
  const out = new Map<string, Date>();
  for (const h of history) {
    if (h.change_reason !== "schedule_activation") continue;
    const at = readSeedTime(h.changed_at, "changed_at");
    if (!(at instanceof Date)) continue;
    const before = out.get(String(h.video_id));
    if (!before || before < at) out.set(String(h.video_id), at);
  }
  return out;
}

export function planVideos(
  rows: Row[],
  portraitIds: ReadonlySet<string>,
  activations: ReadonlyMap<string, Date>,
  now: Date,
  issues: Issue[],
  attempt: <T>(table: Issue["table"], id: string, fn: () => T) => T | null,
): PlannedVideo[] {
  const out: PlannedVideo[] = [];
  const shownIn = new Set<string>();
  // The seed walks a sequential rotation by start and a cyclic one by creation; rows arrive
  // ordered by creation, so their rank per portrait is the rotation order (ties go by id in Steward).
  const order = new Map<string, number>();
  for (const row of rows) {
    const id = String(row.id);
    const portraitId = String(row.portrait_id);
    if (!portraitIds.has(portraitId)) {
      issues.push({ table: "videos", id, reason: `its portrait ${portraitId} was not imported`, outcome: "skipped" });
      continue;
    }
    const planned = attempt("videos", id, (): PlannedVideo => {
      const startAt = time(row, "start_datetime");
      const endAt = time(row, "end_datetime");
      if (startAt && endAt && endAt <= startAt) throw new Problem("end_datetime is not after start_datetime");
      const rank = order.get(portraitId) ?? 0;
      order.set(portraitId, rank + 1);
      const path = text(row.video_path) ?? "";
      return {
        id,
        portraitId,
        title: text(row.description) ?? path.split("/").pop() ?? "",
        mediaUrl: path,
        startAt,
        endAt,
        rotationType: oneOf(row.rotation_type, "rotation_type", ["none", "sequential", "cyclic"] as const, "none"),
        rotationOrder: rank,
        status: oneOf(row.status, "status", ["active", "inactive", "archived"] as const, "active"),
        isShown: Number(row.is_active) === 1,
        lastActivatedAt: activations.get(id) ?? null,
        createdAt: time(row, "created_at") ?? new Date(0),
      };
    });
    if (!planned) continue;
    if (planned.isShown) {
      if (shownIn.has(portraitId)) {
        // Steward shows at most one video per portrait (a unique index says so).
        planned.isShown = false;
        issues.push({
          table: "videos",
          id,
          reason: `another video of portrait ${portraitId} is active; imported hidden`,
          outcome: "imported",
        });
      } else {
        shownIn.add(portraitId);
        // Without a record of when it was shown, it counts as shown since the switch, so a
        // rotation does not move on at the first pass.
        planned.lastActivatedAt ??= now;
      }
    }
    out.push(planned);
  }
  return out;
}

export function planHistory(row: Row, videoPortrait: ReadonlyMap<string, string>): PlannedHistory {
  const videoId = String(row.video_id);
  const portraitId = videoPortrait.get(videoId);
  if (!portraitId) throw new Problem(`its video ${videoId} was not imported`);
  const reason = row.change_reason;
  if (reason !== "schedule_activation" && reason !== "schedule_deactivation") {
    throw new Problem(`change_reason "${String(reason)}" has no counterpart in Steward's history`);
  }
  const shown = reason === "schedule_activation";
  return {
    seedId: String(row.id),
    videoId,
    portraitId,
    oldState: shown ? "hidden" : "shown",
    newState: shown ? "shown" : "hidden",
    reason,
    at: requiredTime(row, "changed_at"),
    actor: text(row.changed_by) ?? "system",
  };
}
