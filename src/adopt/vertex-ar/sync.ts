import { instantJson } from "../../core/instant.js";
import type { Row, Sql } from "../../db/sql.js";
import { toDate } from "../../db/sql.js";
import type { PlannedSubject, PlannedVideo } from "./plan.js";

/**
 * `--sync`: the app's changes to rows already imported, carried into Steward's. Only the fields
 * that the app alone writes once Steward runs: the ones the HTTP API's PUT writes and no scheduler
 * touches. The schedulers' own columns (lifecycle status, which video is shown, a video's status,
 * which the video pass archives) stay Steward's, so a stale value in the seed cannot undo what a
 * pass did. A renewal is then what `PUT /portraits/ID` makes of it: the new end is stored, the
 * lifecycle pass (made due by the import) moves the status, and the notices, keyed by their
 * subscription end, are armed again for the new end.
 */

export interface FieldChange {
  /** Steward's column. */
  field: string;
  from: string | null;
  to: string | null;
}

export interface RowUpdate {
  table: "projects" | "portraits" | "videos";
  id: string;
  changes: FieldChange[];
}

type Value = string | Date | null;

/** Columns holding instants: compared as instants, whatever form each dialect returns them in. */
const TIMES = new Set(["subscription_end", "start_at", "end_at"]);

function shown(column: string, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return TIMES.has(column) ? instantJson(toDate(v)) : String(v);
}

/** The seed's values of the fields it may carry; a field left out is not carried. */
function subjectFields(s: PlannedSubject): Array<[string, Value]> {
  const fields: Array<[string, Value]> = [];
  // An empty name or title in the seed is a client or project row gone missing, not a rename.
  if (s.title !== "") fields.push([s.type === "project" ? "name" : "title", s.title]);
  // Vertex AR's projects have no owner email, and a client's email that is not an address is
  // nothing to replace Steward's with (one set through the API, say).
  if (s.type === "portrait" && s.ownerEmail !== null) fields.push(["owner_email", s.ownerEmail]);
  fields.push(["subscription_end", s.subscriptionEnd]);
  return fields;
}

function videoFields(v: PlannedVideo): Array<[string, Value]> {
  return [
    ["title", v.title],
    ["media_url", v.mediaUrl],
    ["start_at", v.startAt],
    ["end_at", v.endAt],
    ["rotation_type", v.rotationType],
  ];
}

export type CarriedTable = RowUpdate["table"];

/** The columns each table's rows are compared on: what subjectFields and videoFields give. */
const COMPARED: Record<CarriedTable, readonly string[]> = {
  projects: ["name", "subscription_end"],
  portraits: ["title", "owner_email", "subscription_end"],
  videos: ["title", "media_url", "start_at", "end_at", "rotation_type"],
};

/** Ids per query when reading what is there: well under either dialect's limit on parameters. */
const ID_CHUNK = 500;

/**
 * The rows of `table` among `ids` that Steward has, with the compared columns: one query per
 * chunk, so a sync that finds most rows there does not pay an insert and a select for each.
 */
export async function rowsThere(tx: Sql, table: CarriedTable, ids: readonly string[]): Promise<Map<string, Row>> {
  const out = new Map<string, Row>();
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    const rows = await tx.all<Row>(
      `select id, ${COMPARED[table].join(", ")} from ${table} where id in (${chunk.map(() => "?").join(", ")})`,
      chunk,
    );
    for (const r of rows) out.set(String(r.id), r);
  }
  return out;
}

/**
 * What differs between Steward's row (`current`, as rowsThere read it) and the seed's, and,
 * with `apply`, the row updated to the seed's (updated_at the import's time, as a PUT sets
 * it). Null when nothing differs.
 */
export async function carryRow(
  tx: Sql,
  row: { subject: PlannedSubject } | { video: PlannedVideo },
  current: Row,
  now: Date,
  apply: boolean,
): Promise<RowUpdate | null> {
  const [table, id, fields]: [CarriedTable, string, Array<[string, Value]>] =
    "subject" in row
      ? [row.subject.type === "project" ? "projects" : "portraits", row.subject.id, subjectFields(row.subject)]
      : ["videos", row.video.id, videoFields(row.video)];
  const differing = fields.filter(([c, v]) => shown(c, current[c]) !== shown(c, v));
  if (differing.length === 0) return null;
  if (apply) {
    await tx.run(`update ${table} set ${differing.map(([c]) => `${c} = ?`).join(", ")}, updated_at = ? where id = ?`, [
      ...differing.map(([, v]) => v),
      now,
      id,
    ]);
  }
  return {
    table,
    id,
    changes: differing.map(([c, v]) => ({ field: c, from: shown(c, current[c]), to: shown(c, v) })),
  };
}
