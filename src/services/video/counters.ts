import type { CounterSet } from "../../db/coordination/counters.js";
import { COUNTED_STATES, VIDEO_PREFIX } from "./store.js";

/**
 * The counters the video status reads. Triggers keep them on every change (drizzle/sqlite/0007,
 * drizzle/pg/0004); this says how to count them afresh, for `steward doctor recount`.
 */
export const VIDEO_COUNTERS: readonly CounterSet[] = [
  {
    prefix: VIDEO_PREFIX,
    table: "videos",
    countSql: `select case when status = 'archived' then 'archived' when is_shown then 'shown' else 'hidden' end as key,
                 count(*) as n
               from videos group by 1`,
    keys: COUNTED_STATES,
  },
];
