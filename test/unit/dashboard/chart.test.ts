import { describe, expect, it } from "vitest";
import { minuteChart, niceCeil } from "../../../src/dashboard/chart.js";

const box = { width: 100, height: 60, left: 0, bottom: 10, top: 0 };
const minute = (i: number, sent: number, failed: number) => ({
  at: new Date(Date.UTC(2026, 11, 1, 12, i)).toISOString(),
  sent,
  failed,
});

describe("the per-minute chart's geometry", () => {
  it("rounds the scale up to 1, 2 or 5 times a power of ten", () => {
    expect([0, 1, 3, 7, 10, 11, 180, 501].map(niceCeil)).toEqual([1, 1, 5, 10, 10, 20, 200, 1000]);
  });

  it("draws one bar per minute, failed stacked on sent, scaled to the busiest minute", () => {
    const g = minuteChart([minute(0, 10, 0), minute(1, 5, 5), minute(2, 0, 0), minute(3, 0, 2)], box);
    expect(g.max).toBe(10);
    expect(g.totals).toEqual({ sent: 15, failed: 7 });
    // Four 25-wide slots, bars 20 wide and centred; 50 px of height for 10 a minute.
    expect(g.sent).toBe("M2.5 0h20v50h-20zM27.5 25h20v25h-20z");
    expect(g.failed).toBe("M27.5 0h20v25h-20zM77.5 40h20v10h-20z");
    expect(g.gridY).toEqual([0, 25, 50]);
  });

  it("draws nothing for an idle or empty hour, with a scale of one", () => {
    const idle = minuteChart([minute(0, 0, 0), minute(1, 0, 0)], box);
    expect(idle).toMatchObject({ max: 1, sent: "", failed: "" });
    expect(minuteChart([], box)).toMatchObject({ max: 1, sent: "", failed: "", totals: { sent: 0, failed: 0 } });
  });
});
