// Projects, portraits and videos (SQLite): the contract for host apps sharing the database.
import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const ts = (name: string) => integer(name, { mode: "timestamp_ms" });
// julianday rather than unixepoch('subsec'): host apps writing these tables may link a SQLite
// older than 3.42 (Debian 12's, Python's), where the latter does not exist.
const nowMs = sql`(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))`;

export const projects = sqliteTable(
  "projects",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    ownerEmail: text("owner_email"),
    subscriptionEnd: ts("subscription_end"),
    lifecycleStatus: text("lifecycle_status").notNull().default("active"),
    lifecycleChangedAt: ts("lifecycle_changed_at"),
    createdAt: ts("created_at").notNull().default(nowMs),
    updatedAt: ts("updated_at").notNull().default(nowMs),
  },
  (t) => [
    check("projects_lifecycle_status_check", sql`${t.lifecycleStatus} in ('active','expiring','archived')`),
    index("projects_status_end_idx").on(t.lifecycleStatus, t.subscriptionEnd),
    index("projects_end_idx").on(t.subscriptionEnd),
  ],
);

export const portraits = sqliteTable(
  "portraits",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").references(() => projects.id, { onDelete: "set null" }),
    title: text("title").notNull().default(""),
    ownerEmail: text("owner_email"),
    subscriptionEnd: ts("subscription_end"),
    lifecycleStatus: text("lifecycle_status").notNull().default("active"),
    lifecycleChangedAt: ts("lifecycle_changed_at"),
    createdAt: ts("created_at").notNull().default(nowMs),
    updatedAt: ts("updated_at").notNull().default(nowMs),
  },
  (t) => [
    check("portraits_lifecycle_status_check", sql`${t.lifecycleStatus} in ('active','expiring','archived')`),
    index("portraits_status_end_idx").on(t.lifecycleStatus, t.subscriptionEnd),
    index("portraits_end_idx").on(t.subscriptionEnd),
    index("portraits_project_idx").on(t.projectId),
  ],
);

export const lifecycleNotices = sqliteTable(
  "lifecycle_notices",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    kind: text("kind").notNull(),
    subscriptionEnd: ts("subscription_end").notNull(),
    emailJobId: text("email_job_id"),
    recipient: text("recipient"),
    createdAt: ts("created_at").notNull().default(nowMs),
  },
  (t) => [
    check("lifecycle_notices_subject_type_check", sql`${t.subjectType} in ('project','portrait')`),
    check("lifecycle_notices_kind_check", sql`${t.kind} in ('7day','24hour','expired')`),
    uniqueIndex("lifecycle_notices_once").on(t.subjectType, t.subjectId, t.kind, t.subscriptionEnd),
  ],
);

export const videos = sqliteTable(
  "videos",
  {
    id: text("id").primaryKey(),
    portraitId: text("portrait_id")
      .notNull()
      .references(() => portraits.id, { onDelete: "cascade" }),
    title: text("title").notNull().default(""),
    mediaUrl: text("media_url"),
    startAt: ts("start_at"),
    endAt: ts("end_at"),
    rotationType: text("rotation_type").notNull().default("none"),
    rotationOrder: integer("rotation_order").notNull().default(0),
    status: text("status").notNull().default("active"),
    isShown: integer("is_shown", { mode: "boolean" }).notNull().default(false),
    lastActivatedAt: ts("last_activated_at"),
    lastDeactivatedAt: ts("last_deactivated_at"),
    archivedAt: ts("archived_at"),
    createdAt: ts("created_at").notNull().default(nowMs),
    updatedAt: ts("updated_at").notNull().default(nowMs),
  },
  (t) => [
    check("videos_rotation_type_check", sql`${t.rotationType} in ('none','sequential','cyclic','random')`),
    check("videos_status_check", sql`${t.status} in ('active','inactive','archived')`),
    check("videos_window_check", sql`${t.startAt} is null or ${t.endAt} is null or ${t.endAt} > ${t.startAt}`),
    index("videos_portrait_idx").on(t.portraitId, t.status),
    index("videos_end_idx").on(t.status, t.endAt),
    // At most one shown video per portrait, enforced by the database and not only by the scheduler.
    uniqueIndex("videos_one_shown_idx").on(t.portraitId).where(sql`${t.isShown}`),
  ],
);

export const videoScheduleHistory = sqliteTable(
  "video_schedule_history",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    videoId: text("video_id").notNull(),
    portraitId: text("portrait_id").notNull(),
    oldState: text("old_state").notNull(),
    newState: text("new_state").notNull(),
    reason: text("reason").notNull(),
    at: ts("at").notNull(),
    actor: text("actor").notNull(),
  },
  (t) => [
    check(
      "video_schedule_history_reason_check",
      sql`${t.reason} in ('schedule_activation','schedule_deactivation','rotation','archive')`,
    ),
    index("video_schedule_history_video_idx").on(t.videoId, t.at),
  ],
);
