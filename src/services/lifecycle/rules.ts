import type { LifecycleStatus } from "../../subjects/index.js";

/**
 * The lifecycle rules, as pure functions of the subscription end E and the time now. Both are
 * instants (Date), compared as numbers: the seed system compared naive time strings, so an
 * end given as 00:30+02:00 looked later than 23:00Z the evening before.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** Within this of its end a subscription is `expiring`, and the 7-day notice is due. */
export const EXPIRING_MS = 7 * DAY_MS;
/** Within this of its end the 24-hour notice is due instead of the 7-day one. */
export const LAST_DAY_MS = DAY_MS;

export const NOTICE_KINDS = ["7day", "24hour", "expired"] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** `archived` when E <= now; `expiring` when E - now <= 7 days; else `active` (also with no E). */
export function lifecycleStatus(end: Date | null, now: Date): LifecycleStatus {
  if (!end) return "active";
  const left = end.getTime() - now.getTime();
  if (left <= 0) return "archived";
  if (left <= EXPIRING_MS) return "expiring";
  return "active";
}

/**
 * The one notice whose window contains now, if any. The windows do not overlap, so a subject
 * first seen with under 24 hours left gets only the 24-hour notice (the seed sent the 7-day
 * one with it). The expired notice is due only while E is less than `expiredNoticeDays` old,
 * so a first run over old data does not mail everyone who ever lapsed; 0 turns it off. The
 * stored lifecycle status plays no part: an already-archived row still gets its expired notice.
 */
export function noticeDue(end: Date | null, now: Date, expiredNoticeDays: number): NoticeKind | null {
  if (!end) return null;
  const left = end.getTime() - now.getTime();
  if (left > EXPIRING_MS) return null;
  if (left > LAST_DAY_MS) return "7day";
  if (left > 0) return "24hour";
  return -left < expiredNoticeDays * DAY_MS ? "expired" : null;
}

/** A notice window as a range of subscription ends for a pass at one time: after < E <= upTo. */
export interface NoticeWindow {
  kind: NoticeKind;
  after: Date;
  upTo: Date;
}

/** The ranges of E for which each notice is due at `now`: what the pass queries by index. */
export function noticeWindows(now: Date, expiredNoticeDays: number): NoticeWindow[] {
  const t = now.getTime();
  const windows: NoticeWindow[] = [
    { kind: "7day", after: new Date(t + LAST_DAY_MS), upTo: new Date(t + EXPIRING_MS) },
    { kind: "24hour", after: new Date(t), upTo: new Date(t + LAST_DAY_MS) },
  ];
  if (expiredNoticeDays > 0) {
    windows.push({ kind: "expired", after: new Date(t - expiredNoticeDays * DAY_MS), upTo: new Date(t) });
  }
  return windows;
}

export interface PlannedNotice {
  kind: NoticeKind;
  /** The earliest pass time at which it goes out: now, or when its window opens. */
  at: Date;
}

/**
 * The notices for one E that would go out between now and now + horizon, assuming a pass as
 * each window opens. A window that closes before a pass could see it is left out, as the
 * scheduler would leave it.
 */
export function plannedNotices(end: Date, now: Date, horizonMs: number, expiredNoticeDays: number): PlannedNotice[] {
  const e = end.getTime();
  const t = now.getTime();
  const windows: Array<[NoticeKind, number, number]> = [
    ["7day", e - EXPIRING_MS, e - LAST_DAY_MS],
    ["24hour", e - LAST_DAY_MS, e],
    ["expired", e, e + expiredNoticeDays * DAY_MS],
  ];
  const out: PlannedNotice[] = [];
  for (const [kind, opens, closes] of windows) {
    const at = Math.max(t, opens);
    if (at < closes && at <= t + horizonMs) out.push({ kind, at: new Date(at) });
  }
  return out;
}

/** The range of E a plan over the next `horizonMs` has to look at. */
export function planRange(now: Date, horizonMs: number, expiredNoticeDays: number): { after: Date; upTo: Date } {
  const t = now.getTime();
  return { after: new Date(t - expiredNoticeDays * DAY_MS), upTo: new Date(t + horizonMs + EXPIRING_MS) };
}
