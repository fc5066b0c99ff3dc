import type { CounterSet } from "../../db/coordination/counters.js";
import { NOTICE_KINDS } from "./rules.js";
import { NOTICES_PREFIX, SUBJECT_TABLES, statusPrefix } from "./store.js";

/**
 * The counters the lifecycle status reads. Triggers keep them on every change
 * (drizzle/sqlite/0007, drizzle/pg/0004); these say how to count them afresh, for
 * `steward doctor recount`.
 */
const LIFECYCLE_STATUSES = ["active", "expiring", "archived"] as const;

export const LIFECYCLE_COUNTERS: readonly CounterSet[] = [
  ...(["project", "portrait"] as const).map((subject) => ({
    prefix: statusPrefix(subject),
    table: SUBJECT_TABLES[subject],
    countSql: `select lifecycle_status as key, count(*) as n from ${SUBJECT_TABLES[subject]} group by lifecycle_status`,
    keys: LIFECYCLE_STATUSES,
  })),
  {
    prefix: NOTICES_PREFIX,
    table: "lifecycle_notices",
    countSql: "select kind as key, count(*) as n from lifecycle_notices group by kind",
    keys: NOTICE_KINDS,
  },
];
