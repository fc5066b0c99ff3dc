// Backups (SQLite): one row per backup, whatever number of files it has.
import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

const ts = (name: string) => integer(name, { mode: "timestamp_ms" });

export const backups = sqliteTable(
  "backups",
  {
    id: text("id").primaryKey(),
    kind: text("kind").notNull(),
    status: text("status").notNull(),
    trigger: text("trigger").notNull().default("manual"),
    scheduledFor: ts("scheduled_for"),
    startedAt: ts("started_at").notNull(),
    finishedAt: ts("finished_at"),
    bytes: integer("bytes"),
    files: text("files", { mode: "json" }),
    location: text("location"),
    verified: integer("verified", { mode: "boolean" }).notNull().default(false),
    verifiedAt: ts("verified_at"),
    error: text("error"),
    instance: text("instance"),
  },
  (t) => [
    check("backups_kind_check", sql`${t.kind} in ('database','storage','full')`),
    check("backups_status_check", sql`${t.status} in ('running','succeeded','failed')`),
    index("backups_kind_idx").on(t.kind, t.status, t.startedAt),
  ],
);
