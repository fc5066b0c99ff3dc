// Backups (PostgreSQL): one row per backup, whatever number of files it has.
import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const backups = pgTable(
  "backups",
  {
    id: text("id").primaryKey(),
    kind: text("kind").notNull(),
    status: text("status").notNull(),
    trigger: text("trigger").notNull().default("manual"),
    scheduledFor: ts("scheduled_for"),
    startedAt: ts("started_at").notNull(),
    finishedAt: ts("finished_at"),
    bytes: bigint("bytes", { mode: "number" }),
    files: jsonb("files"),
    location: text("location"),
    verified: boolean("verified").notNull().default(false),
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
