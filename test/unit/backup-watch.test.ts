import { describe, expect, it } from "vitest";
import { CronSchedule } from "../../src/scheduling/cron-job.js";
import { describeMs, schedulePeriodMs } from "../../src/services/backup/watch.js";

const period = (pattern: string, timezone = "UTC") =>
  schedulePeriodMs(new CronSchedule(pattern, timezone), new Date("2026-01-05T12:00:00Z"));

describe("a schedule's period, for the overdue-backup alert", () => {
  it("is the gap between runs of a regular schedule", () => {
    expect(period("0 2 * * *")).toBe(86_400_000);
    expect(period("0 3 * * 0")).toBe(7 * 86_400_000);
    expect(period("*/5 * * * *")).toBe(300_000);
  });

  it("is the longest gap of an irregular one: weekdays only wait three days over the weekend", () => {
    expect(period("0 2 * * 1-5")).toBe(3 * 86_400_000);
    expect(period("0 6,18 * * *")).toBe(12 * 3_600_000);
    expect(period("0 1 * * *", "Europe/Berlin")).toBe(86_400_000);
  });

  it("is described in the unit that reads best", () => {
    expect([describeMs(86_400_000), describeMs(36 * 3_600_000), describeMs(300_000), describeMs(30_000)]).toEqual([
      "1 d",
      "1.5 d",
      "5 min",
      "30 s",
    ]);
  });
});
