import { CounterStore } from "../../db/coordination/counters.js";
import type { Row, Sql } from "../../db/sql.js";
import { toNumber } from "../../db/sql.js";
import { type ScheduledVideo, scheduledVideo } from "../../subjects/index.js";
import type { PlannedChange, VideoFacts } from "./rules.js";
import { forEachIdChunk, insertRows } from "./sql-lists.js";

/** A video as a pass reads it (its decision's facts, and whose and what it is). */
export type VideoRecord = ScheduledVideo;

export interface PortraitInfo {
  title: string;
  recipient: string | null;
}

export interface PortraitChanges {
  portraitId: string;
  changes: PlannedChange[];
}

/** The states the `video.` counters keep (see ./counters.ts). */
export const COUNTED_STATES = ["shown", "hidden", "archived"] as const;
export type CountedState = (typeof COUNTED_STATES)[number];
export const VIDEO_PREFIX = "video.";

const COLUMNS = `id, portrait_id, title, start_at, end_at, rotation_type, rotation_order, status, is_shown,
  last_activated_at`;
// Archived videos drop out of the schedule, unless an admin archived one while it was shown.
const LIVE = "(status <> 'archived' or is_shown = ?)";

/** The video pass's SQL: portrait-keyed batches, set-based writes per batch, and counts. */
export class VideoStore {
  private readonly counters: CounterStore;

  constructor(private readonly sql: Sql) {
    this.counters = new CounterStore(sql);
  }

  /**
   * The portrait id `rows` live videos after `after`: the end of the next batch, or null when
   * fewer remain (the batch then runs to the end). A plain index range with an offset, which
   * both planners stream; counting distinct portraits instead made PostgreSQL aggregate the
   * whole rest of the table for every batch.
   */
  async batchEnd(after: string, rows: number): Promise<string | null> {
    const row = await this.sql.get<Row>(
      `select portrait_id from videos where portrait_id > ? and status <> 'archived'
       order by portrait_id limit 1 offset ?`,
      [after, rows - 1],
    );
    return row ? String(row.portrait_id) : null;
  }

  /** The live videos of portraits in (after, upTo], grouped by portrait. */
  async loadRange(after: string, upTo: string | null): Promise<Map<string, VideoRecord[]>> {
    const rows = await this.sql.all<Row>(
      `select ${COLUMNS} from videos
       where portrait_id > ? ${upTo === null ? "" : "and portrait_id <= ?"} and ${LIVE}
       order by portrait_id, id`,
      upTo === null ? [after, true] : [after, upTo, true],
    );
    return group(rows);
  }

  /**
   * The live videos of these portraits again, inside the transaction that changes them; on
   * PostgreSQL locked, so a concurrent pass waits and then sees what this one wrote.
   */
  static async lockPortraits(tx: Sql, portraitIds: string[]): Promise<Map<string, VideoRecord[]>> {
    const out = new Map<string, VideoRecord[]>();
    await forEachIdChunk(portraitIds, async (marks, ids) => {
      const rows = await tx.all<Row>(
        `select ${COLUMNS} from videos where portrait_id in (${marks}) and ${LIVE}
         order by portrait_id, id${tx.dialect === "pg" ? " for update" : ""}`,
        [...ids, true],
      );
      for (const [id, videos] of group(rows)) out.set(id, videos);
    });
    return out;
  }

  /**
   * Writes a batch of portraits' changes with a few statements, not a few per change:
   * archives and hides before shows (so the one-shown index never sees two), then the history
   * rows. Returns each portrait's first history id, from which its notice's key is made.
   */
  static async applyBatch(tx: Sql, batch: PortraitChanges[], now: Date, actor: string): Promise<Map<string, number>> {
    const all = batch.flatMap((p) => p.changes.map((c) => ({ portraitId: p.portraitId, c })));
    const ids = (action: PlannedChange["action"]) => all.filter((x) => x.c.action === action).map((x) => x.c.videoId);
    await forEachIdChunk(ids("archive"), (marks, chunk) =>
      tx.run(
        `update videos set status = 'archived', archived_at = ?,
           last_deactivated_at = case when is_shown = ? then ? else last_deactivated_at end, is_shown = ?
         where id in (${marks})`,
        [now, true, now, false, ...chunk],
      ),
    );
    await forEachIdChunk(ids("hide"), (marks, chunk) =>
      tx.run(`update videos set is_shown = ?, last_deactivated_at = ? where id in (${marks})`, [false, now, ...chunk]),
    );
    await forEachIdChunk(ids("show"), (marks, chunk) =>
      tx.run(`update videos set is_shown = ?, last_activated_at = ? where id in (${marks})`, [true, now, ...chunk]),
    );
    const first = new Map<string, number>();
    await insertRows(
      tx,
      "insert into video_schedule_history (video_id, portrait_id, old_state, new_state, reason, at, actor) values",
      7,
      all.map(({ portraitId, c }) => [c.videoId, portraitId, c.from, c.to, c.reason, now, actor]),
      "returning id, portrait_id",
      (row) => {
        const portrait = String(row.portrait_id);
        const id = toNumber(row.id);
        first.set(portrait, Math.min(first.get(portrait) ?? id, id));
      },
    );
    return first;
  }

  static async portraitInfo(tx: Sql, portraitIds: string[]): Promise<Map<string, PortraitInfo>> {
    const out = new Map<string, PortraitInfo>();
    await forEachIdChunk(portraitIds, async (marks, ids) => {
      const rows = await tx.all<Row>(
        `select p.id, p.title, coalesce(p.owner_email, pr.owner_email) as recipient
         from portraits p left join projects pr on pr.id = p.project_id where p.id in (${marks})`,
        ids,
      );
      for (const r of rows) {
        out.set(String(r.id), { title: String(r.title ?? ""), recipient: (r.recipient as string | null) ?? null });
      }
    });
    return out;
  }

  /**
   * Videos by state, read from the counters the triggers keep: a few rows, however many videos.
   * `scheduled` (active, not yet started) is not among them: it turns into `hidden` with the
   * passing of time, which no trigger sees, so it is counted within `hidden`.
   */
  async stateCounts(): Promise<Record<CountedState, number>> {
    const counts = await this.counters.read(VIDEO_PREFIX);
    return { shown: counts.shown ?? 0, hidden: counts.hidden ?? 0, archived: counts.archived ?? 0 };
  }

  async foldCounters(): Promise<void> {
    await this.counters.fold();
  }
}

function group(rows: Row[]): Map<string, VideoRecord[]> {
  const out = new Map<string, VideoRecord[]>();
  for (const r of rows) {
    const v = scheduledVideo(r);
    const list = out.get(v.portraitId);
    if (list) list.push(v);
    else out.set(v.portraitId, [v]);
  }
  return out;
}

/** Everything the rules read, so a re-read can tell whether the plan still holds. */
export function factsKey(videos: VideoFacts[]): string {
  return videos
    .map((v) =>
      [
        v.id,
        v.status,
        v.isShown,
        v.startAt?.getTime(),
        v.endAt?.getTime(),
        v.rotationType,
        v.rotationOrder,
        v.lastActivatedAt?.getTime(),
      ].join("|"),
    )
    .join("\n");
}
