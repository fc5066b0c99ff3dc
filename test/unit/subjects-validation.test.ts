import { describe, expect, it } from "vitest";
import { HttpError } from "../../src/http/router.js";
import {
  parseEmail,
  parseId,
  parseInstant,
  portraitInput,
  projectInput,
  videoInput,
} from "../../src/subjects/validate.js";

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
    return (error as Error).message;
  }
  throw new Error("expected a 400");
}

describe("parseInstant", () => {
  it.each([
    ["2026-03-01T12:00:00Z", "2026-03-01T12:00:00.000Z"],
    ["2026-03-01T14:00:00+02:00", "2026-03-01T12:00:00.000Z"],
    ["2026-03-01T07:30-04:30", "2026-03-01T12:00:00.000Z"],
    ["2026-03-01T12:00:00.123456Z", "2026-03-01T12:00:00.123Z"],
    ["2026-03-01T12:00:00+0000", "2026-03-01T12:00:00.000Z"],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
  ])("reads %s as the instant %s", (text, instant) => {
    expect(parseInstant(text, "t")?.toISOString()).toBe(instant);
  });

  it.each([
    ["2026-03-01T12:00:00", "no offset: a naive time is refused, not guessed (seed dropped zones)"],
    ["2026-03-01", "a date alone"],
    ["2026-02-30T00:00:00Z", "a day that does not exist"],
    ["2026-03-01T24:00:00Z", "hour 24"],
    ["2026-03-01 12:00:00Z", "a space for the T"],
    ["yesterday", "words"],
  ])("refuses %s (%s)", (text) => {
    expect(reason(() => parseInstant(text, "startAt"))).toMatch(/^startAt .*(ISO 8601|real date|has no offset)/);
  });

  it("refuses a number and passes null through", () => {
    expect(reason(() => parseInstant(1767225600000, "endAt"))).toMatch(/endAt must be an ISO 8601 time/);
    expect(parseInstant(null, "endAt")).toBeNull();
  });
});

describe("parseEmail", () => {
  it.each(["owner@example.com", "first.last+tag@sub.example.org"])("accepts %s", (address) => {
    expect(parseEmail(address, "ownerEmail")).toBe(address);
  });
  it.each(["owner", "owner@", "@example.com", "a b@example.com", "Owner <owner@example.com>", "a@b.com, c@d.com"])(
    "refuses %s",
    (address) => {
      expect(reason(() => parseEmail(address, "ownerEmail"))).toMatch(/^ownerEmail .* is not an email address/);
    },
  );
});

describe("bodies", () => {
  it("reads a video and applies defaults", () => {
    expect(videoInput({ portraitId: "p1", startAt: "2026-03-01T00:00:00+01:00" })).toEqual({
      portraitId: "p1",
      title: "",
      mediaUrl: null,
      startAt: new Date("2026-02-28T23:00:00Z"),
      endAt: null,
      rotationType: "none",
      rotationOrder: 0,
      status: "active",
    });
  });

  it("refuses an unknown rotation type, an end before the start, and a bad status", () => {
    expect(reason(() => videoInput({ portraitId: "p1", rotationType: "shuffle" }))).toBe(
      'rotationType "shuffle" is not one of: none, sequential, cyclic, random',
    );
    expect(
      reason(() =>
        videoInput({ portraitId: "p1", startAt: "2026-03-02T00:00:00Z", endAt: "2026-03-02T01:00:00+02:00" }),
      ),
    ).toMatch(/^endAt \(2026-03-01T23:00:00.000Z\) must be after startAt/);
    expect(reason(() => videoInput({ portraitId: "p1", status: "paused" }))).toMatch(/^status "paused" is not one of/);
    expect(reason(() => videoInput({ portraitId: "p1", rotationOrder: 1.5 }))).toMatch(/rotationOrder/);
    expect(reason(() => videoInput({ title: "no portrait" }))).toMatch(/^portraitId is required/);
  });

  it("refuses unknown and snake_case fields but ignores what GET adds", () => {
    expect(reason(() => projectInput({ name: "x", subscription_end: "2026-03-01T00:00:00Z" }))).toMatch(
      /^unknown field "subscription_end" \(fields are camelCase/,
    );
    expect(projectInput({ name: "x", lifecycleStatus: "active", notices: [], id: "x" })).toEqual({
      name: "x",
      ownerEmail: null,
      subscriptionEnd: null,
    });
  });

  it("requires a project name and an object body", () => {
    expect(reason(() => projectInput({ ownerEmail: "a@example.com" }))).toBe("name is required");
    expect(reason(() => projectInput({ name: "  " }))).toBe("name must not be empty");
    expect(reason(() => portraitInput([1, 2]))).toBe("the body must be a JSON object");
    expect(reason(() => portraitInput({ projectId: 7 }))).toMatch(/^projectId 7 is not a project id/);
  });

  it("checks ids in paths", () => {
    expect(parseId("portrait-1.a_b:c", "portrait")).toBe("portrait-1.a_b:c");
    expect(reason(() => parseId("../etc", "portrait"))).toMatch(/^portrait id "..\/etc" is not/);
  });
});
