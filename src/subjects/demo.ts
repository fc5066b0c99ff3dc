import { UserError } from "../core/errors.js";
import type { Sql } from "../db/sql.js";
import { SubjectStore } from "./store.js";
import type { PortraitInput, RotationType, VideoInput } from "./types.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export interface DemoResult {
  projects: number;
  portraits: number;
  videos: number;
}

/**
 * A small example around `now` for a newcomer: portraits on each side of every lifecycle
 * boundary, overlapping video windows, a video starting in two minutes, an old one to archive,
 * and one portrait per rotation type. Both schedulers act on their first pass. Refuses a
 * database that already holds projects, portraits or videos (checked in the same transaction).
 */
export async function fillDemo(sql: Sql, now: Date): Promise<DemoResult> {
  const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);
  return sql.tx(async (tx) => {
    const store = new SubjectStore(tx);
    if (!(await store.isEmpty())) {
      throw new UserError("the database already has projects, portraits or videos; demo fills only an empty one");
    }
    await store.putProject(
      "demo-harbor",
      { name: "Harbor Gallery", ownerEmail: "harbor@example.com", subscriptionEnd: at(60 * DAY) },
      now,
    );
    await store.putProject(
      "demo-museum",
      { name: "City Museum", ownerEmail: "museum@example.com", subscriptionEnd: at(5 * DAY) },
      now,
    );
    const portraits: Array<[string, PortraitInput]> = [
      ["demo-long-term", portrait("Long-term loan", at(200 * DAY), null, "demo-harbor")],
      ["demo-six-days", portrait("Ends in six days", at(6 * DAY), "curator@example.com")],
      ["demo-twelve-hours", portrait("Ends in twelve hours", at(12 * HOUR), "curator@example.com")],
      ["demo-ended-yesterday", portrait("Ended yesterday", at(-DAY), "curator@example.com")],
      ["demo-ended-long-ago", portrait("Ended 90 days ago", at(-90 * DAY), "curator@example.com")],
      ["demo-entrance", portrait("Entrance hall", null, null, "demo-harbor")],
      ["demo-sequential", portrait("Sequential screen", null, "screens@example.com", "demo-museum")],
      ["demo-cyclic", portrait("Cyclic screen", null, "screens@example.com", "demo-museum")],
      ["demo-random", portrait("Random screen", null, "screens@example.com", "demo-museum")],
    ];
    for (const [id, input] of portraits) await store.putPortrait(id, input, now);
    const videos: Array<[string, VideoInput]> = [
      // Overlapping windows: the later start shows, and keeps showing pass after pass.
      ["demo-entrance-morning", video("demo-entrance", "Morning loop", at(-DAY), at(2 * DAY))],
      ["demo-entrance-opening", video("demo-entrance", "Opening week", at(-HOUR), null)],
      ["demo-entrance-evening", video("demo-entrance", "Evening special", at(2 * MIN), at(DAY))],
      // Ended ten days ago: archived on the first pass (after VIDEO_SCHEDULER_ARCHIVE_AFTER_HOURS).
      ["demo-entrance-winter", video("demo-entrance", "Winter show", at(-40 * DAY), at(-10 * DAY))],
    ];
    for (const type of ["sequential", "cyclic", "random"] as const) {
      for (const n of [1, 2, 3]) {
        videos.push([`demo-${type}-${n}`, video(`demo-${type}`, `${type} ${n}`, at(-HOUR), null, type, n)]);
      }
    }
    for (const [id, input] of videos) await store.putVideo(id, input, now);
    return { projects: 2, portraits: portraits.length, videos: videos.length };
  });
}

function portrait(
  title: string,
  end: Date | null,
  owner: string | null,
  projectId: string | null = null,
): PortraitInput {
  return { projectId, title, ownerEmail: owner, subscriptionEnd: end };
}

function video(
  portraitId: string,
  title: string,
  startAt: Date | null,
  endAt: Date | null,
  rotationType: RotationType = "none",
  rotationOrder = 0,
): VideoInput {
  return {
    portraitId,
    title,
    mediaUrl: `https://media.example.com/${portraitId}/${encodeURIComponent(title.toLowerCase())}.mp4`,
    startAt,
    endAt,
    rotationType,
    rotationOrder,
    status: "active",
  };
}
