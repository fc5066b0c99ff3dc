import { describe, expect, it } from "vitest";
import {
  applyChanges,
  isDueForArchive,
  isEligible,
  type PlannedChange,
  planPortrait,
  type ScheduleOptions,
  type VideoFacts,
  videoState,
} from "../../src/services/video/rules.js";

const M = 60_000;
const H = 60 * M;
const D = 24 * H;
const NOW = new Date("2026-03-10T12:00:00Z");
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);
const OPTIONS: ScheduleOptions = { rotationIntervalMs: H, archiveAfterMs: 168 * H };
const never = () => {
  throw new Error("random must not be drawn here");
};

function v(id: string, facts: Partial<VideoFacts> = {}): VideoFacts {
  return {
    id,
    startAt: null,
    endAt: null,
    rotationType: "none",
    rotationOrder: 0,
    status: "active",
    isShown: false,
    lastActivatedAt: null,
    ...facts,
  };
}

const brief = (changes: PlannedChange[]) => changes.map((c) => `${c.action} ${c.videoId} ${c.reason}`);

/** Runs passes at the given offsets, applying each plan, and returns what each pass did. */
function passes(
  videos: VideoFacts[],
  offsets: number[],
  options = OPTIONS,
  random: () => number = never,
): { log: string[][]; videos: VideoFacts[] } {
  let state = videos;
  const log: string[][] = [];
  for (const offset of offsets) {
    const changes = planPortrait(state, at(offset), options, random);
    log.push(brief(changes));
    state = applyChanges(state, changes, at(offset));
  }
  return { log, videos: state };
}

const shownId = (videos: VideoFacts[]) => videos.filter((x) => x.isShown).map((x) => x.id);

describe("isEligible", () => {
  it.each([
    ["active, no window", {}, true],
    ["inactive", { status: "inactive" }, false],
    ["archived", { status: "archived" }, false],
    ["started an hour ago", { startAt: at(-H) }, true],
    ["starts now", { startAt: at(0) }, true],
    ["starts in a minute", { startAt: at(M) }, false],
    ["ends in a minute", { endAt: at(M) }, true],
    ["ends now", { endAt: at(0) }, false],
    ["ended an hour ago", { endAt: at(-H) }, false],
  ] as Array<[string, Partial<VideoFacts>, boolean]>)("%s -> %s", (_label, facts, eligible) => {
    expect(isEligible(v("a", facts), NOW)).toBe(eligible);
  });

  it("compares instants, not text: an end of 00:30+02:00 on the 11th has passed at 23:00Z on the 10th (seed: naive times)", () => {
    const video = v("a", { endAt: new Date("2026-03-11T00:30:00+02:00") });
    expect(isEligible(video, new Date("2026-03-10T23:00:00Z"))).toBe(false);
    expect(isEligible(video, new Date("2026-03-10T22:00:00Z"))).toBe(true);
  });

  it("names each state", () => {
    expect(videoState(v("a", { startAt: at(H) }), NOW)).toBe("scheduled");
    expect(videoState(v("a", { isShown: true }), NOW)).toBe("shown");
    expect(videoState(v("a"), NOW)).toBe("hidden");
    expect(videoState(v("a", { status: "archived" }), NOW)).toBe("archived");
  });
});

describe("choosing among overlapping windows", () => {
  it("shows the latest start and keeps it over many passes (seed: the shown video flipped every pass)", () => {
    const videos = [v("early", { startAt: at(-2 * D), endAt: at(2 * D) }), v("late", { startAt: at(-D) })];
    const run = passes(
      videos,
      Array.from({ length: 12 }, (_, i) => i * 5 * M),
    );
    expect(run.log[0]).toEqual(["show late schedule_activation"]);
    expect(run.log.slice(1).flat()).toEqual([]);
    expect(shownId(run.videos)).toEqual(["late"]);
  });

  it("breaks ties by rotation order, then id, whatever order the rows come in", () => {
    const a = v("a", { startAt: at(-H), rotationOrder: 2 });
    const b = v("b", { startAt: at(-H), rotationOrder: 1 });
    const c = v("c", { startAt: at(-H), rotationOrder: 1 });
    for (const order of [
      [a, b, c],
      [c, b, a],
      [b, a, c],
    ]) {
      expect(brief(planPortrait(order, NOW, OPTIONS, never))).toEqual(["show b schedule_activation"]);
    }
  });

  it("counts no start as the earliest start", () => {
    const videos = [v("always"), v("dated", { startAt: at(-30 * D) })];
    expect(brief(planPortrait(videos, NOW, OPTIONS, never))).toEqual(["show dated schedule_activation"]);
  });

  it("switches when a later window opens, and back when it closes", () => {
    const videos = [v("base", { startAt: at(-D), isShown: true }), v("special", { startAt: at(H), endAt: at(3 * H) })];
    const run = passes(videos, [0, H, 2 * H, 3 * H, 4 * H]);
    expect(run.log).toEqual([
      [],
      ["hide base schedule_deactivation", "show special schedule_activation"],
      [],
      ["hide special schedule_deactivation", "show base schedule_activation"],
      [],
    ]);
  });

  it("hides a shown video whose end has passed and shows the next eligible one", () => {
    const videos = [v("a", { endAt: at(-M), isShown: true, startAt: at(-D) }), v("b", { startAt: at(-2 * D) })];
    expect(brief(planPortrait(videos, NOW, OPTIONS, never))).toEqual([
      "hide a schedule_deactivation",
      "show b schedule_activation",
    ]);
  });

  it("hides the last video when nothing is eligible, and shows nothing", () => {
    const changes = planPortrait([v("a", { endAt: at(-M), isShown: true })], NOW, OPTIONS, never);
    expect(changes).toEqual([
      { videoId: "a", action: "hide", reason: "schedule_deactivation", from: "shown", to: "hidden" },
    ]);
  });

  it("hides a shown video an admin made inactive or archived", () => {
    const inactive = planPortrait([v("a", { status: "inactive", isShown: true })], NOW, OPTIONS, never);
    expect(brief(inactive)).toEqual(["hide a schedule_deactivation"]);
    const archived = planPortrait([v("a", { status: "archived", isShown: true })], NOW, OPTIONS, never);
    expect(archived[0]).toMatchObject({ action: "hide", from: "shown", to: "archived" });
  });

  it("never leaves two shown: a second shown video is hidden", () => {
    const videos = [v("a", { startAt: at(-H), isShown: true }), v("b", { startAt: at(-D), isShown: true })];
    const run = passes(videos, [0, M]);
    expect(run.log).toEqual([["hide b schedule_deactivation"], []]);
    expect(shownId(run.videos)).toEqual(["a"]);
  });
});

describe("rotation", () => {
  const pool = (type: VideoFacts["rotationType"]) =>
    [1, 2, 3].map((n) => v(`${type[0]}${n}`, { rotationType: type, rotationOrder: n, startAt: at(-D) }));
  const everyHalfHour = Array.from({ length: 12 }, (_, i) => i * 30 * M);

  it("sequential moves on by rotation order each interval and stops at the last", () => {
    const run = passes(pool("sequential"), everyHalfHour);
    expect(run.log.filter((l) => l.length > 0)).toEqual([
      ["show s1 schedule_activation"],
      ["hide s1 rotation", "show s2 rotation"],
      ["hide s2 rotation", "show s3 rotation"],
    ]);
    expect(run.log.map((l) => l.length > 0)).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(shownId(run.videos)).toEqual(["s3"]);
  });

  it("cyclic moves on each interval and wraps round", () => {
    const run = passes(pool("cyclic"), everyHalfHour);
    const shownAfter = run.log.flatMap((l) => l.filter((x) => x.startsWith("show")).map((x) => x.split(" ")[1]));
    expect(shownAfter).toEqual(["c1", "c2", "c3", "c1", "c2", "c3"]);
  });

  it("random picks a different eligible video each interval, from the injected source", () => {
    const draws = [0.99, 0, 0.2, 0.7];
    let i = 0;
    const random = () => draws[i++ % draws.length] as number;
    const run = passes(pool("random"), everyHalfHour, OPTIONS, random);
    const shownAfter = run.log.flatMap((l) => l.filter((x) => x.startsWith("show")).map((x) => x.split(" ")[1]));
    // r1 first (the deterministic choice); then of the others [r2,r3] at 0.99 -> r3; of [r1,r2] at 0 -> r1;
    // of [r2,r3] at 0.2 -> r2; of [r1,r3] at 0.7 -> r3; of [r1,r2] at 0.99 -> r2.
    expect(shownAfter).toEqual(["r1", "r3", "r1", "r2", "r3", "r2"]);
    for (let k = 1; k < shownAfter.length; k += 1) expect(shownAfter[k]).not.toBe(shownAfter[k - 1]);
  });

  it("waits VIDEO_SCHEDULER_ROTATION_INTERVAL, whatever the pass cadence (seed: the setting was unused)", () => {
    const shown = pool("cyclic").map((x) => (x.id === "c1" ? { ...x, isShown: true, lastActivatedAt: at(0) } : x));
    const twoHours = { ...OPTIONS, rotationIntervalMs: 2 * H };
    expect(planPortrait(shown, at(H), OPTIONS, never).length).toBe(2);
    expect(planPortrait(shown, at(H), twoHours, never)).toEqual([]);
    expect(planPortrait(shown, at(2 * H - 1), twoHours, never)).toEqual([]);
    expect(brief(planPortrait(shown, at(2 * H), twoHours, never))).toEqual(["hide c1 rotation", "show c2 rotation"]);
  });

  it("does not rotate videos of type none, nor a single rotating video", () => {
    const none = [v("a", { isShown: true, lastActivatedAt: at(-D) }), v("b")];
    expect(planPortrait(none, NOW, OPTIONS, never)).toEqual([]);
    const single = [
      v("a", { rotationType: "cyclic", isShown: true, lastActivatedAt: at(-D) }),
      v("b", { status: "inactive" }),
    ];
    expect(planPortrait(single, NOW, OPTIONS, never)).toEqual([]);
  });

  it("lets a non-rotating video with a later start take over from a rotation", () => {
    const videos = [
      ...pool("cyclic").map((x) => (x.id === "c2" ? { ...x, isShown: true, lastActivatedAt: at(-10 * M) } : x)),
      v("notice", { startAt: at(-M) }),
    ];
    expect(brief(planPortrait(videos, NOW, OPTIONS, never))).toEqual([
      "hide c2 schedule_deactivation",
      "show notice schedule_activation",
    ]);
  });
});

describe("archiving", () => {
  it.each([
    ["ended 169 h ago with 168 h", -169 * H, 168, true],
    ["ended exactly 168 h ago with 168 h", -168 * H, 168, false],
    ["ended 167 h ago with 168 h", -167 * H, 168, false],
    ["ended 2 h ago with 1 h (seed: the setting was unused)", -2 * H, 1, true],
    ["ended 2 h ago with 0 h", -2 * H, 0, true],
    ["has no end", null, 1, false],
  ] as Array<[string, number | null, number, boolean]>)("%s -> %s", (_label, endOffset, hours, due) => {
    const video = v("a", { endAt: endOffset === null ? null : at(endOffset) });
    expect(isDueForArchive(video, NOW, hours * H)).toBe(due);
  });

  it("archives on whatever minute the pass runs (seed: only on minutes divisible by ten)", () => {
    const video = v("a", { endAt: at(-200 * H) });
    for (const minute of [1, 3, 7, 10, 59]) {
      const now = new Date(`2026-03-10T12:${String(minute).padStart(2, "0")}:00Z`);
      expect(brief(planPortrait([video], now, OPTIONS, never))).toEqual(["archive a archive"]);
    }
  });

  it("archives inactive videos too, and a shown one goes straight from shown to archived", () => {
    const changes = planPortrait(
      [v("a", { endAt: at(-200 * H), status: "inactive" }), v("b", { endAt: at(-200 * H), isShown: true })],
      NOW,
      OPTIONS,
      never,
    );
    expect(changes.map((c) => [c.videoId, c.from, c.to])).toEqual([
      ["a", "hidden", "archived"],
      ["b", "shown", "archived"],
    ]);
  });
});
