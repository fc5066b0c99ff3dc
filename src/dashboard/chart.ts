// The per-minute chart's geometry, kept apart from the SVG elements so it is tested in Node.
import type { MinuteCount } from "./types.js";

export interface ChartBox {
  width: number;
  height: number;
  /** Room for the axis labels. */
  left: number;
  bottom: number;
  top: number;
}

export interface ChartGeometry {
  /** The value at the top gridline: a round number at or above the busiest minute. */
  max: number;
  /** One path of bars each; failed bars stack on the sent ones, so a minute's height is its total. */
  sent: string;
  failed: string;
  /** y of the top gridline, the middle one and the baseline. */
  gridY: [number, number, number];
  totals: { sent: number; failed: number };
}

/** 1, 2, 5, 10, 20, 50, ...: the smallest such number at or above `n` (1 for an idle hour). */
export function niceCeil(n: number): number {
  if (n <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= n) return step * magnitude;
  }
  return 10 * magnitude;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** One bar per minute, oldest at the left; empty minutes draw nothing. */
export function minuteChart(points: readonly MinuteCount[], box: ChartBox): ChartGeometry {
  const innerW = box.width - box.left;
  const innerH = box.height - box.top - box.bottom;
  const base = box.top + innerH;
  const totals = { sent: 0, failed: 0 };
  let busiest = 0;
  for (const p of points) {
    totals.sent += p.sent;
    totals.failed += p.failed;
    busiest = Math.max(busiest, p.sent + p.failed);
  }
  const max = niceCeil(busiest);
  const slot = points.length > 0 ? innerW / points.length : innerW;
  // A gap of a fifth of the slot keeps neighbouring bars apart even at phone width.
  const barW = round(Math.max(1, slot * 0.8));
  const scale = innerH / max;
  let sent = "";
  let failed = "";
  points.forEach((p, i) => {
    const x = round(box.left + i * slot + (slot - barW) / 2);
    const sentH = round(p.sent * scale);
    const failedH = round(p.failed * scale);
    if (sentH > 0) sent += bar(x, round(base - sentH), barW, sentH);
    if (failedH > 0) failed += bar(x, round(base - sentH - failedH), barW, failedH);
  });
  return { max, sent, failed, gridY: [box.top, round(box.top + innerH / 2), base], totals };
}

function bar(x: number, y: number, w: number, h: number): string {
  return `M${x} ${y}h${w}v${h}h${-w}z`;
}
