import type { Row, Sql } from "../../db/sql.js";
import { toBool, toDate, toNumber } from "../../db/sql.js";
import type { RotationType, VideoStatus } from "../subjects/types.js";
import type { PlannedChange, VideoFacts, VideoState } from "./rules.js";

export interface VideoRecord extends VideoFacts {
  portraitId: string;
  title: string;
}

export interface PortraitInfo {
  title: string;
  recipient: string | null;
}

const COLUMNS = `id, portrait_id, title, start_at, end_at, rotation_type, rotation_order, status, is_shown,
  last_activated_at`;
// Archived videos drop out of the schedule, unless an admin archived one while it was shown.
const LIVE = "(status <> 'archived' or is_shown = ?)";

const IN_LIST_SIZES = [1, 8, 64, 512];

/** The video pass's SQL: portrait-keyed batches, the writes of one change, and counts. */
export class VideoStore {
  constructor(private readonly sql: Sql) {}

  /**
   * The last portrait id of the next batch of `size` portraits after `after`, or null when
   * fewer remain (the batch then runs to the end). Reads only the (portrait_id, status) index.
   */
  async batchEnd(after: string, size: number): Promise<string | null> {
    const row = await this.sql.get<Row>(
      `select portrait_id from videos where portrait_id > ? and status <> 'archived'
       group by portrait_id order by portrait_id limit 1 offset ?`,
      [after, size - 1],
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
    for (let i = 0; i < portraitIds.length; i += IN_LIST_SIZES[IN_LIST_SIZES.length - 1]!) {
      const chunk = portraitIds.slice(i, i + IN_LIST_SIZES[IN_LIST_SIZES.length - 1]!);
      // Padded to one of a few lengths (repeating an id changes nothing), so the executors'
      // prepared-statement caches hold a handful of texts instead of one per batch size.
      const size = IN_LIST_SIZES.find((n) => n >= chunk.length) ?? chunk.length;
      const ids = [...chunk, ...Array<string>(size - chunk.length).fill(chunk[0] ?? "")];
      const rows = await tx.all<Row>(
        `select ${COLUMNS} from videos where portrait_id in (${ids.map(() => "?").join(", ")}) and ${LIVE}
         order by portrait_id, id${tx.dialect === "pg" ? " for update" : ""}`,
        [...ids, true],
      );
      for (const [id, videos] of group(rows)) out.set(id, videos);
    }
    return out;
  }

  /** Writes one change and its history row; returns the history row's id. */
  static async apply(tx: Sql, portraitId: string, c: PlannedChange, now: Date, actor: string): Promise<number> {
    if (c.action === "archive") {
      await tx.run(
        `update videos set status = 'archived', is_shown = ?, archived_at = ?,
           last_deactivated_at = coalesce(?, last_deactivated_at) where id = ?`,
        [false, now, c.from === "shown" ? now : null, c.videoId],
      );
    } else if (c.action === "hide") {
      await tx.run("update videos set is_shown = ?, last_deactivated_at = ? where id = ?", [false, now, c.videoId]);
    } else {
      await tx.run("update videos set is_shown = ?, last_activated_at = ? where id = ?", [true, now, c.videoId]);
    }
    const row = await tx.get<Row>(
      `insert into video_schedule_history (video_id, portrait_id, old_state, new_state, reason, at, actor)
       values (?, ?, ?, ?, ?, ?, ?) returning id`,
      [c.videoId, portraitId, c.from, c.to, c.reason, now, actor],
    );
    return toNumber(row?.id);
  }

  static async portraitInfo(tx: Sql, portraitId: string): Promise<PortraitInfo | undefined> {
    const row = await tx.get<Row>(
      `select p.title, coalesce(p.owner_email, pr.owner_email) as recipient
       from portraits p left join projects pr on pr.id = p.project_id where p.id = ?`,
      [portraitId],
    );
    return row ? { title: String(row.title ?? ""), recipient: (row.recipient as string | null) ?? null } : undefined;
  }

  async stateCounts(now: Date): Promise<Record<VideoState, number>> {
    const rows = await this.sql.all<Row>(
      `select state, count(*) as n from (
         select case when status = 'archived' then 'archived' when is_shown = ? then 'shown'
                     when status = 'active' and start_at > ? then 'scheduled' else 'hidden' end as state
         from videos) s
       group by state`,
      [true, now],
    );
    const counts: Record<VideoState, number> = { scheduled: 0, shown: 0, hidden: 0, archived: 0 };
    for (const r of rows) counts[String(r.state) as VideoState] = toNumber(r.n);
    return counts;
  }
}

function group(rows: Row[]): Map<string, VideoRecord[]> {
  const out = new Map<string, VideoRecord[]>();
  for (const r of rows) {
    const v = record(r);
    const list = out.get(v.portraitId);
    if (list) list.push(v);
    else out.set(v.portraitId, [v]);
  }
  return out;
}

function record(r: Row): VideoRecord {
  return {
    id: String(r.id),
    portraitId: String(r.portrait_id),
    title: String(r.title ?? ""),
    startAt: toDate(r.start_at),
    endAt: toDate(r.end_at),
    rotationType: String(r.rotation_type) as RotationType,
    rotationOrder: toNumber(r.rotation_order),
    status: String(r.status) as VideoStatus,
    isShown: toBool(r.is_shown),
    lastActivatedAt: toDate(r.last_activated_at),
  };
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
