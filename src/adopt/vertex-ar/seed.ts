import fs from "node:fs";
import path from "node:path";
import Sqlite from "better-sqlite3";
import { UserError } from "../../core/errors.js";

/**
 * The Vertex AR database, opened read-only: the importer never writes it, so switching back is
 * always possible. The tables and columns it needs are checked first, so a file that is not a
 * Vertex AR database is refused with one line instead of half an import.
 */

type SeedRow = Record<string, unknown>;

/** What the importer reads, by table; the columns are the seed's own names. */
export interface SeedData {
  clients: SeedRow[];
  /** Absent in older Vertex AR versions, which had no projects. */
  projects: SeedRow[];
  folders: SeedRow[];
  portraits: SeedRow[];
  videos: SeedRow[];
  history: SeedRow[];
  emails: SeedRow[];
  /** Optional tables present without the columns the import needs: left out, with the reason. */
  leftOut: Array<{ table: "projects" | "folders"; reason: string }>;
}

/** Tables and columns without which the file is not (a recent enough) Vertex AR database. */
const REQUIRED: Record<string, readonly string[]> = {
  email_queue: [
    "id",
    "recipient_to",
    "subject",
    "body",
    "html",
    "template_id",
    "variables",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "updated_at",
  ],
  clients: ["id", "name", "email"],
  portraits: [
    "id",
    "client_id",
    "created_at",
    "subscription_end",
    "lifecycle_status",
    "notification_7days_sent",
    "notification_24hours_sent",
    "notification_expired_sent",
  ],
  videos: [
    "id",
    "portrait_id",
    "video_path",
    "description",
    "is_active",
    "created_at",
    "start_datetime",
    "end_datetime",
    "rotation_type",
    "status",
  ],
  video_schedule_history: ["id", "video_id", "old_status", "new_status", "change_reason", "changed_at", "changed_by"],
};

/** Read when present: projects with their lifecycle columns, and the folders that tie portraits to them. */
const OPTIONAL: Record<string, readonly string[]> = {
  projects: ["id", "name", "status", "subscription_end", "notified_7d", "notified_24h", "notified_expired"],
  folders: ["id", "project_id"],
};

export interface OwnDatabase {
  /** DATABASE_URL's SQLite file, or null on PostgreSQL. */
  file: string | null;
  display: string;
}

/** Opens `file` read-only after the refusals; throws UserError with one line. */
export function readSeed(file: string, own: OwnDatabase): SeedData {
  const full = path.resolve(file);
  if (!fs.existsSync(full)) throw new UserError(`--from ${file}: no such file`);
  if (!fs.statSync(full).isFile()) throw new UserError(`--from ${file}: not a file`);
  if (own.file && fs.existsSync(own.file) && sameFile(full, own.file)) {
    throw new UserError(`--from ${file} is Steward's own database (DATABASE_URL ${own.display}), not Vertex AR's`);
  }
  let db: Sqlite.Database;
  try {
    db = new Sqlite(full, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new UserError(`--from ${file} cannot be opened: ${(error as Error).message}`);
  }
  try {
    const tables = tableColumns(db, file);
    if (tables.has("steward_migrations")) {
      throw new UserError(`--from ${file} is a Steward database (it has steward_migrations), not Vertex AR's`);
    }
    for (const [table, columns] of Object.entries(REQUIRED)) {
      const present = tables.get(table);
      if (!present) throw new UserError(`--from ${file} is not a Vertex AR database: it has no table ${table}`);
      const missing = columns.filter((c) => !present.has(c));
      if (missing.length > 0) {
        throw new UserError(
          `--from ${file} is not a Vertex AR database: table ${table} has no column ${missing.join(", ")}`,
        );
      }
    }
    const leftOut: SeedData["leftOut"] = [];
    const optional = (table: "projects" | "folders"): boolean => {
      const present = tables.get(table);
      if (present === undefined) return false;
      const missing = (OPTIONAL[table] ?? []).filter((c) => !present.has(c));
      if (missing.length > 0) leftOut.push({ table, reason: `table ${table} has no column ${missing.join(", ")}` });
      return missing.length === 0;
    };
    const all = (text: string): SeedRow[] => db.prepare(text).all() as SeedRow[];
    return {
      clients: all("select * from clients order by id"),
      projects: optional("projects") ? all("select * from projects order by id") : [],
      folders: optional("folders") ? all("select * from folders order by id") : [],
      portraits: all("select * from portraits order by id"),
      videos: all("select * from videos order by portrait_id, created_at, id"),
      history: all("select * from video_schedule_history order by changed_at, id"),
      emails: all("select * from email_queue order by created_at, id"),
      leftOut,
    };
  } finally {
    db.close();
  }
}

function sameFile(a: string, b: string): boolean {
  const sa = fs.statSync(a);
  const sb = fs.statSync(b);
  return sa.dev === sb.dev && sa.ino === sb.ino;
}

function tableColumns(db: Sqlite.Database, file: string): Map<string, Set<string>> {
  let names: string[];
  try {
    names = (db.prepare("select name from sqlite_master where type = 'table'").all() as Array<{ name: string }>).map(
      (r) => r.name,
    );
  } catch (error) {
    throw new UserError(`--from ${file} is not a SQLite database: ${(error as Error).message}`);
  }
  const out = new Map<string, Set<string>>();
  for (const name of names) {
    const columns = db.prepare(`select name from pragma_table_info(?)`).all(name) as Array<{ name: string }>;
    out.set(name, new Set(columns.map((c) => c.name)));
  }
  return out;
}
