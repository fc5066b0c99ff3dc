import { UserError } from "../core/errors.js";
import type { Row, Sql } from "../db/sql.js";
import { storedTimes, toBool, toDate, toNumber } from "../db/sql.js";
import type {
  LifecycleStatus,
  PortraitInput,
  PortraitRow,
  ProjectInput,
  ProjectRow,
  RotationType,
  ScheduledVideo,
  SubjectType,
  VideoInput,
  VideoRow,
  VideoStatus,
} from "./types.js";

export interface NoticeRecord {
  kind: string;
  subscriptionEnd: Date;
  recipient: string | null;
  emailJobId: string | null;
  sentAt: Date;
}

/**
 * Reads and writes projects, portraits and videos for the HTTP API and the demo. PUT is a
 * whole-record upsert of the admin's fields; the schedulers' own columns (lifecycle status,
 * shown, last activated, ...) are never written here.
 */
export class SubjectStore {
  constructor(private readonly sql: Sql) {}

  async getProject(id: string): Promise<ProjectRow | undefined> {
    const row = await this.sql.get<Row>("select * from projects where id = ?", [id]);
    return row ? projectRow(row) : undefined;
  }

  async getPortrait(id: string): Promise<PortraitRow | undefined> {
    const row = await this.sql.get<Row>("select * from portraits where id = ?", [id]);
    return row ? portraitRow(row) : undefined;
  }

  async getVideo(id: string): Promise<VideoRow | undefined> {
    const row = await this.sql.get<Row>("select * from videos where id = ?", [id]);
    return row ? videoRow(row) : undefined;
  }

  /**
   * Returns true when the project was created, false when it replaced one. The insert comes
   * first so that two concurrent PUTs of a new id cannot both try to create it.
   */
  async putProject(id: string, input: ProjectInput, now: Date): Promise<boolean> {
    return this.sql.tx(async (tx) => {
      const created = await tx.get(
        `insert into projects (id, name, owner_email, subscription_end, lifecycle_status, created_at, updated_at)
         values (?, ?, ?, ?, 'active', ?, ?) on conflict (id) do nothing returning id`,
        [id, input.name, input.ownerEmail, input.subscriptionEnd, now, now],
      );
      if (created) return true;
      await tx.run("update projects set name = ?, owner_email = ?, subscription_end = ?, updated_at = ? where id = ?", [
        input.name,
        input.ownerEmail,
        input.subscriptionEnd,
        now,
        id,
      ]);
      return false;
    });
  }

  async putPortrait(id: string, input: PortraitInput, now: Date): Promise<boolean> {
    return this.sql.tx(async (tx) => {
      if (input.projectId !== null) {
        const project = await tx.get("select id from projects where id = ?", [input.projectId]);
        if (!project) throw new UserError(`projectId "${input.projectId}": no such project`);
      }
      const created = await tx.get(
        `insert into portraits (id, project_id, title, owner_email, subscription_end, lifecycle_status,
           created_at, updated_at)
         values (?, ?, ?, ?, ?, 'active', ?, ?) on conflict (id) do nothing returning id`,
        [id, input.projectId, input.title, input.ownerEmail, input.subscriptionEnd, now, now],
      );
      if (created) return true;
      await tx.run(
        `update portraits set project_id = ?, title = ?, owner_email = ?, subscription_end = ?, updated_at = ?
         where id = ?`,
        [input.projectId, input.title, input.ownerEmail, input.subscriptionEnd, now, id],
      );
      return false;
    });
  }

  async putVideo(id: string, input: VideoInput, now: Date): Promise<boolean> {
    return this.sql.tx(async (tx) => {
      const portrait = await tx.get("select id from portraits where id = ?", [input.portraitId]);
      if (!portrait) throw new UserError(`portraitId "${input.portraitId}": no such portrait`);
      const created = await tx.get(
        `insert into videos (id, portrait_id, title, media_url, start_at, end_at, rotation_type, rotation_order,
           status, is_shown, archived_at, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do nothing returning id`,
        [id, input.portraitId, ...adminFields(input), false, input.status === "archived" ? now : null, now, now],
      );
      if (created) return true;
      const existing = await tx.get<Row>("select portrait_id, status from videos where id = ?", [id]);
      // A shown video moving would be shown on two portraits' schedules at once; the history
      // of each portrait stays readable when a move is a delete and a create instead.
      if (existing && String(existing.portrait_id) !== input.portraitId) {
        throw new UserError(`video ${id} belongs to portrait ${existing.portrait_id}; delete it and create it anew`);
      }
      // Archived now if it becomes archived, kept if it already was, cleared if it is brought back.
      const archivedAt = input.status !== "archived" ? null : existing?.status === "archived" ? undefined : now;
      await tx.run(
        `update videos set title = ?, media_url = ?, start_at = ?, end_at = ?, rotation_type = ?,
           rotation_order = ?, status = ?, archived_at = ${archivedAt === undefined ? "archived_at" : "?"},
           updated_at = ?
         where id = ?`,
        [...adminFields(input), ...(archivedAt === undefined ? [] : [archivedAt]), now, id],
      );
      return false;
    });
  }

  /** Portraits keep their rows when their project goes (project_id becomes null). */
  async deleteProject(id: string): Promise<boolean> {
    return (await this.sql.run("delete from projects where id = ?", [id])) > 0;
  }

  /**
   * Its videos go with it (the foreign key cascades too, but only on connections with
   * foreign_keys on); its notices and video history stay as a record.
   */
  async deletePortrait(id: string): Promise<boolean> {
    return this.sql.tx(async (tx) => {
      await tx.run("delete from videos where portrait_id = ?", [id]);
      return (await tx.run("delete from portraits where id = ?", [id])) > 0;
    });
  }

  async deleteVideo(id: string): Promise<boolean> {
    return (await this.sql.run("delete from videos where id = ?", [id])) > 0;
  }

  /** The address a portrait's notices go to: its own owner, else its project's. */
  async noticeRecipient(portrait: PortraitRow): Promise<string | null> {
    if (portrait.ownerEmail || !portrait.projectId) return portrait.ownerEmail;
    const row = await this.sql.get<Row>("select owner_email from projects where id = ?", [portrait.projectId]);
    return (row?.owner_email as string | null | undefined) ?? null;
  }

  async notices(subjectType: SubjectType, id: string): Promise<NoticeRecord[]> {
    const rows = await this.sql.all<Row>(
      `select kind, subscription_end, recipient, email_job_id, created_at from lifecycle_notices
       where subject_type = ? and subject_id = ? order by created_at, id`,
      [subjectType, id],
    );
    return rows.map((r) => ({
      kind: String(r.kind),
      subscriptionEnd: toDate(r.subscription_end) as Date,
      recipient: (r.recipient as string | null) ?? null,
      emailJobId: (r.email_job_id as string | null) ?? null,
      sentAt: toDate(r.created_at) as Date,
    }));
  }

  /** True when there is no project, portrait or video at all (the demo fills only such a database). */
  async isEmpty(): Promise<boolean> {
    const row = await this.sql.get<Row>(
      `select (select count(*) from projects) + (select count(*) from portraits) + (select count(*) from videos) as n`,
    );
    return toNumber(row?.n) === 0;
  }
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** The columns projects and portraits share: both are subjects of the lifecycle scheduler. */
function subjectFields(r: Row) {
  return {
    ownerEmail: str(r.owner_email),
    subscriptionEnd: toDate(r.subscription_end),
    lifecycleStatus: String(r.lifecycle_status) as LifecycleStatus,
    lifecycleChangedAt: toDate(r.lifecycle_changed_at),
    ...storedTimes(r),
  };
}

/** The admin's fields of a video, in the order both the insert and the update write them. */
function adminFields(input: VideoInput): unknown[] {
  return [
    input.title,
    input.mediaUrl,
    input.startAt,
    input.endAt,
    input.rotationType,
    input.rotationOrder,
    input.status,
  ];
}

export function projectRow(r: Row): ProjectRow {
  return { id: String(r.id), name: String(r.name), ...subjectFields(r) };
}

export function portraitRow(r: Row): PortraitRow {
  return { id: String(r.id), projectId: str(r.project_id), title: String(r.title ?? ""), ...subjectFields(r) };
}

/** A video as its scheduler reads it: a pass reads many, so nothing beyond what it decides by. */
export function scheduledVideo(r: Row): ScheduledVideo {
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

export function videoRow(r: Row): VideoRow {
  return {
    ...scheduledVideo(r),
    mediaUrl: str(r.media_url),
    lastDeactivatedAt: toDate(r.last_deactivated_at),
    archivedAt: toDate(r.archived_at),
    ...storedTimes(r),
  };
}
