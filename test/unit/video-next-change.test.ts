import { describe, expect, it } from "vitest";
import { nextChange } from "../../src/services/video/next-change.js";
import type { VideoFacts } from "../../src/services/video/rules.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const H = 3_600_000;
const at = (offset: number) => new Date(NOW.getTime() + offset);
const OPTIONS = { rotationIntervalMs: 6 * H, archiveAfterMs: 24 * H };

function video(id: string, facts: Partial<VideoFacts> = {}): VideoFacts {
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

describe("nextChange", () => {
  it("is what is due now, when a pass has not made it yet", () => {
    expect(nextChange([video("a")], NOW, OPTIONS)).toEqual({ at: NOW, change: "activate", videoId: "a" });
  });

  it("is the end of the shown video's window, when nothing follows it", () => {
    const shown = video("a", { isShown: true, startAt: at(-H), endAt: at(2 * H), lastActivatedAt: at(-H) });
    expect(nextChange([shown], NOW, OPTIONS)).toEqual({ at: at(2 * H), change: "deactivate", videoId: "a" });
  });

  it("is the start of a later video that takes over", () => {
    const shown = video("a", { isShown: true, lastActivatedAt: at(-H) });
    const later = video("b", { startAt: at(3 * H) });
    expect(nextChange([shown, later], NOW, OPTIONS)).toEqual({ at: at(3 * H), change: "activate", videoId: "b" });
  });

  it("is the rotation falling due, naming the next video; for a random rotation no video", () => {
    const cyclic = (id: string, order: number, shown: boolean) =>
      video(id, {
        rotationType: "cyclic",
        rotationOrder: order,
        isShown: shown,
        lastActivatedAt: shown ? at(-H) : null,
      });
    expect(nextChange([cyclic("a", 0, true), cyclic("b", 1, false)], NOW, OPTIONS)).toEqual({
      at: at(5 * H),
      change: "rotate",
      videoId: "b",
    });
    const random = (id: string, shown: boolean) =>
      video(id, { rotationType: "random", isShown: shown, lastActivatedAt: shown ? at(-H) : null });
    expect(nextChange([random("a", true), random("b", false), random("c", false)], NOW, OPTIONS)).toEqual({
      at: at(5 * H),
      change: "rotate",
      videoId: null,
    });
  });

  it("is an archive past the deadline after a hidden video's end, and nothing for a portrait at rest", () => {
    const ended = video("a", { startAt: at(-48 * H), endAt: at(-2 * H) });
    expect(nextChange([ended], NOW, OPTIONS)).toEqual({ at: at(22 * H + 1), change: "archive", videoId: "a" });
    expect(nextChange([video("a", { isShown: true, lastActivatedAt: at(-H) })], NOW, OPTIONS)).toBeNull();
  });
});
