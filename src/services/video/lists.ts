import { instantJson } from "../../core/instant.js";
import type { Row, Sql } from "../../db/sql.js";
import { toDate, toNumber } from "../../db/sql.js";
import { cursorSerial, cursorText, type Page, type PageRequest, pageOf } from "../../http/paging.js";
import { videoRow } from "../../subjects/index.js";
import { CHANGE_NAMES, nextChange } from "./next-change.js";
import type { ChangeReason, ScheduleOptions } from "./rules.js";

/**
 * Per portrait with videos: what is shown now, the next change and when, and how many videos
 * it has that are not archived. Paged by portrait id; one query for the page's portraits and
 * one for their videos.
 */
export async function listPortraitVideos(
  sql: Sql,
  page: PageRequest,
  now: Date,
  options: ScheduleOptions,
): Promise<Page<Record<string, unknown>>> {
  const after = page.after ? cursorText(page.after, "id") : "";
  const ids = await sql.all<Row>(
    `select portrait_id, sum(case when status <> 'archived' then 1 else 0 end) as n from videos
     where portrait_id > ? group by portrait_id order by portrait_id limit ?`,
    [after, page.limit + 1],
  );
  const shown = ids.slice(0, page.limit).map((r) => String(r.portrait_id));
  const videos =
    shown.length === 0
      ? []
      : (
          await sql.all<Row>(
            `select * from videos where portrait_id in (${shown.map(() => "?").join(", ")}) order by portrait_id, id`,
            shown,
          )
        ).map(videoRow);
  return pageOf(
    ids,
    page.limit,
    (r) => ({ id: String(r.portrait_id) }),
    (r) => {
      const portraitId = String(r.portrait_id);
      const mine = videos.filter((v) => v.portraitId === portraitId);
      const current = mine.find((v) => v.isShown);
      // Archived videos left the schedule; one shown while archived is still shown until the next pass.
      const live = mine.filter((v) => v.status !== "archived" || v.isShown);
      const next = nextChange(live, now, options);
      return {
        portraitId,
        shown: current
          ? {
              videoId: current.id,
              title: current.title,
              mediaUrl: current.mediaUrl,
              since: instantJson(current.lastActivatedAt),
            }
          : null,
        next: next && { at: next.at.toISOString(), change: next.change, videoId: next.videoId },
        videos: toNumber(r.n),
      };
    },
  );
}

/** The history of changes, newest first, for one portrait or all. */
export async function listVideoHistory(
  sql: Sql,
  page: PageRequest,
  portraitId: string | undefined,
): Promise<Page<Record<string, unknown>>> {
  const after = page.after ? cursorSerial(page.after, "id") : undefined;
  const where: string[] = [];
  const params: unknown[] = [];
  if (portraitId) {
    where.push("h.portrait_id = ?");
    params.push(portraitId);
  }
  if (after !== undefined) {
    where.push("h.id < ?");
    params.push(after);
  }
  // A rotation writes the hide and the show at one instant: the show names what it replaced.
  const rows = await sql.all<Row>(
    `select h.id, h.at, h.portrait_id, h.video_id, h.reason, h.new_state, h.actor,
       case when h.new_state = 'shown' then (select p.video_id from video_schedule_history p
         where p.portrait_id = h.portrait_id and p.at = h.at and p.old_state = 'shown' and p.id <> h.id
         order by p.id limit 1) end as from_video_id
     from video_schedule_history h ${where.length > 0 ? `where ${where.join(" and ")}` : ""}
     order by h.id desc limit ?`,
    [...params, page.limit + 1],
  );
  return pageOf(
    rows,
    page.limit,
    (r) => ({ id: toNumber(r.id) }),
    (r) => ({
      id: String(r.id),
      at: instantJson(toDate(r.at)),
      portraitId: String(r.portrait_id),
      videoId: String(r.video_id),
      change: CHANGE_NAMES[String(r.reason) as ChangeReason] ?? String(r.reason),
      state: String(r.new_state),
      fromVideoId: r.from_video_id === null || r.from_video_id === undefined ? null : String(r.from_video_id),
      actor: String(r.actor),
    }),
  );
}
