// The sent/failed per minute chart: bars as inline SVG (geometry from chart.ts), labels as HTML
// beside it. The SVG stretches to the column's width at a fixed height, so the labels stay
// legible on a phone instead of shrinking with the drawing.
import { type ChartBox, minuteChart } from "./chart.js";
import { h, svg, uid } from "./dom.js";
import { formatCount } from "./format.js";
import type { MinuteCount } from "./types.js";

const BOX: ChartBox = { width: 600, height: 160, left: 0, bottom: 0, top: 1 };

export function minuteChartView(points: readonly MinuteCount[]): HTMLElement {
  const g = minuteChart(points, BOX);
  const titleId = uid("chart");
  const summary =
    `Sent and failed per minute over the last hour: ${formatCount(g.totals.sent)} sent, ` +
    `${formatCount(g.totals.failed)} failed; the scale tops at ${formatCount(g.max)} a minute.`;
  const grid = (y: number) =>
    svg("line", { x1: 0, x2: BOX.width, y1: y, y2: y, class: "grid", "vector-effect": "non-scaling-stroke" });
  const drawing = svg(
    "svg",
    {
      viewBox: `0 0 ${BOX.width} ${BOX.height}`,
      preserveAspectRatio: "none",
      role: "img",
      "aria-labelledby": titleId,
      class: "chart",
    },
    svg("title", { id: titleId }, summary),
    ...g.gridY.map(grid),
    svg("path", { d: g.sent, class: "c-sent" }),
    svg("path", { d: g.failed, class: "c-failed" }),
  );
  return h(
    "div",
    { class: "chart-grid", "data-max": g.max, "data-sent": g.totals.sent, "data-failed": g.totals.failed },
    h(
      "div",
      { class: "y-axis", "aria-hidden": "true" },
      h("span", null, formatCount(g.max)),
      h("span", null, formatCount(g.max / 2)),
      h("span", null, "0"),
    ),
    drawing,
    h("div", { class: "x-axis", "aria-hidden": "true" }, h("span", null, "60 min ago"), h("span", null, "now")),
  );
}
