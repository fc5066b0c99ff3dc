import { describe, expect, it } from "vitest";
import { parseInstant } from "../../src/core/instant.js";
import {
  lifecycleStatus,
  type NoticeKind,
  noticeDue,
  noticeWindows,
  plannedNotices,
} from "../../src/services/lifecycle/rules.js";

const H = 3_600_000;
const D = 24 * H;
const NOW = new Date("2026-03-10T12:00:00Z");
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

describe("lifecycleStatus", () => {
  it.each([
    ["no subscription end", null, "active"],
    ["ends in 30 days", at(30 * D), "active"],
    ["ends in 7 days and a millisecond", at(7 * D + 1), "active"],
    ["ends in exactly 7 days", at(7 * D), "expiring"],
    ["ends in 1 hour", at(H), "expiring"],
    ["ends in 1 ms", at(1), "expiring"],
    ["ends now", at(0), "archived"],
    ["ended a year ago", at(-365 * D), "archived"],
  ] as const)("%s -> %s", (_label, end, status) => {
    expect(lifecycleStatus(end, NOW)).toBe(status);
  });

  it("compares instants, not text: 00:30+02:00 on the 10th is before 23:00Z on the 9th (seed: naive times)", () => {
    // As strings "2026-03-10T00:30" > "2026-03-09T23:00", which the seed read as "not yet ended".
    const end = parseInstant("2026-03-10T00:30:00+02:00", "end");
    const sameEndInUtc = parseInstant("2026-03-09T22:30:00Z", "end");
    const now = parseInstant("2026-03-09T23:00:00Z", "now");
    // The rule answers for the instant, whichever zone it was written in ...
    expect(lifecycleStatus(end, now)).toBe(lifecycleStatus(sameEndInUtc, now));
    expect(noticeDue(end, now, 30)).toBe(noticeDue(sameEndInUtc, now, 30));
    // ... and the instant has passed: an hour earlier the same end was still ahead.
    expect(lifecycleStatus(end, now)).toBe("archived");
    expect(lifecycleStatus(end, new Date(now.getTime() - H))).toBe("expiring");
    expect(noticeDue(end, now, 30)).toBe("expired");
    expect(noticeDue(end, new Date(now.getTime() - H), 30)).toBe("24hour");
  });
});

describe("noticeDue", () => {
  const cases: Array<[string, Date | null, NoticeKind | null]> = [
    ["no subscription end", null, null],
    ["8 days left", at(8 * D), null],
    ["7 days and 1 ms left", at(7 * D + 1), null],
    ["exactly 7 days left", at(7 * D), "7day"],
    ["3 days left", at(3 * D), "7day"],
    ["24 hours and 1 ms left", at(D + 1), "7day"],
    ["exactly 24 hours left", at(D), "24hour"],
    ["1 ms left", at(1), "24hour"],
    ["ended now", at(0), "expired"],
    ["ended 29 days ago", at(-29 * D), "expired"],
    ["ended 30 days ago less 1 ms", at(-30 * D + 1), "expired"],
    ["ended exactly 30 days ago", at(-30 * D), null],
    ["ended 3 years ago (a first run over old data mails nobody)", at(-3 * 365 * D), null],
  ];
  it.each(cases)("%s -> %s", (_label, end, kind) => {
    expect(noticeDue(end, NOW, 30)).toBe(kind);
  });

  it("gives a subject first seen with 20 hours left only the 24-hour notice (seed sent the 7-day one too)", () => {
    const end = at(20 * H);
    const kinds = [0, H, 2 * H].map((step) => noticeDue(end, at(step), 30));
    expect(kinds).toEqual(["24hour", "24hour", "24hour"]);
    expect(plannedNotices(end, NOW, 7 * D, 30).map((n) => n.kind)).toEqual(["24hour", "expired"]);
  });

  it("is due for an expired subject whatever its stored status (seed skipped rows already archived)", () => {
    // The rule takes only E and now: a row whose status column already reads `archived` is no exception.
    expect(noticeDue(at(-2 * D), NOW, 30)).toBe("expired");
  });

  it("re-arms all three notices for a renewed end: a new E gives new (kind, E) keys", () => {
    const oldEnd = at(12 * H);
    const renewed = at(40 * D);
    expect(noticeDue(oldEnd, NOW, 30)).toBe("24hour");
    expect(noticeDue(renewed, NOW, 30)).toBeNull();
    expect(plannedNotices(renewed, NOW, 45 * D, 30).map((n) => [n.kind, n.at.toISOString()])).toEqual([
      ["7day", at(33 * D).toISOString()],
      ["24hour", at(39 * D).toISOString()],
      ["expired", at(40 * D).toISOString()],
    ]);
  });

  it("sends no expired notice at all when LIFECYCLE_EXPIRED_NOTICE_DAYS is 0", () => {
    expect(noticeDue(at(0), NOW, 0)).toBeNull();
    expect(noticeWindows(NOW, 0).map((w) => w.kind)).toEqual(["7day", "24hour"]);
  });
});

describe("noticeWindows", () => {
  it("are the ranges of E for which noticeDue names each kind, and do not overlap", () => {
    const windows = noticeWindows(NOW, 30);
    for (let offset = -31 * D; offset <= 8 * D; offset += H / 2) {
      const end = at(offset);
      const inWindows = windows.filter((w) => end > w.after && end <= w.upTo).map((w) => w.kind);
      const due = noticeDue(end, NOW, 30);
      expect(inWindows).toEqual(due ? [due] : []);
    }
  });
});

describe("plannedNotices", () => {
  it("lists each notice at the time its window opens, within the horizon", () => {
    const end = at(10 * D);
    expect(plannedNotices(end, NOW, 7 * D, 30).map((n) => [n.kind, n.at.toISOString()])).toEqual([
      ["7day", at(3 * D).toISOString()],
    ]);
    expect(plannedNotices(end, NOW, 10 * D, 30).map((n) => n.kind)).toEqual(["7day", "24hour", "expired"]);
  });

  it("agrees with noticeDue on what is due now", () => {
    for (let offset = -31 * D; offset <= 8 * D; offset += 5 * H) {
      const end = at(offset);
      const now = plannedNotices(end, NOW, 0, 30).map((n) => n.kind);
      const due = noticeDue(end, NOW, 30);
      expect(now).toEqual(due ? [due] : []);
    }
  });
});
