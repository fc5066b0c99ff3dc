// The lifecycle plan grouped by the reader's calendar days. Pure, for the unit tests.
import { dayOf, type Zone } from "./format.js";
import type { Plan, PlannedNotice } from "./types.js";

export interface PlanDay {
  /** YYYY-MM-DD in the reader's zone. */
  key: string;
  text: string;
  notices: PlannedNotice[];
}

const HOUR = 3_600_000;

/** Every day from `plan.from` to `plan.to`, empty ones too, so the strip shows the quiet days. */
export function planDays(plan: Plan, zone: Zone = {}): PlanDay[] {
  const days = new Map<string, PlanDay>();
  const add = (at: string) => {
    const d = dayOf(at, zone);
    if (!days.has(d.key)) days.set(d.key, { key: d.key, text: d.text, notices: [] });
    return days.get(d.key)!;
  };
  const from = Date.parse(plan.from);
  const to = Date.parse(plan.to);
  // Hourly steps: a day-sized step can jump over a calendar day where the zone shifts its clock.
  for (let t = from; t <= to; t += HOUR) add(new Date(t).toISOString());
  for (const n of plan.notices) add(n.at).notices.push(n);
  return [...days.values()].sort((a, b) => a.key.localeCompare(b.key));
}
