import type { Row, Sql } from "../../db/sql.js";
import {
  type EmailInput,
  EmailValidationError,
  type EnqueueOptions,
  type EnqueueResult,
  enqueueEmail,
  enqueueEmails,
} from "../../services/email/index.js";
import type { ImportPlan, Issue, PlannedEmail, PlannedSubject, SeedTable } from "./plan.js";
import { type CarriedTable, carryRow, type RowUpdate, rowsThere } from "./sync.js";

/**
 * Writes a plan inside the caller's transaction. Every insert leaves a row already there alone
 * (the seed's ids are kept: subjects by id, mail by idempotency key, notices by their unique key,
 * history by video, reason and time), so a second import of the same file adds nothing. A row
 * already there that the app has changed since is updated only with `sync` (sync.ts); without
 * it the difference is reported, not written.
 */

export type Counted = SeedTable | "lifecycle_notices";

export interface WriteResult {
  imported: Record<Counted, number>;
  /** Rows already in Steward (a previous import): left as they are. */
  present: Record<Counted, number>;
  /** Mail the queue refused by the API's rules, as skipped rows. */
  refused: Issue[];
  /** The jobs written, by status. */
  jobs: { pending: number; failed: number; sent: number; failedIds: string[] };
  /** Rows already there that differ from the seed's: updated with `sync`, else only reported. */
  differing: RowUpdate[];
}

const zero = (): Record<Counted, number> => ({
  email_queue: 0,
  projects: 0,
  portraits: 0,
  videos: 0,
  video_schedule_history: 0,
  lifecycle_notices: 0,
});

export async function writePlan(
  tx: Sql,
  plan: ImportPlan,
  enqueueOptions: EnqueueOptions,
  sync: boolean,
): Promise<WriteResult> {
  const result: WriteResult = {
    imported: zero(),
    present: zero(),
    refused: [],
    jobs: { pending: 0, failed: 0, sent: 0, failedIds: [] },
    differing: [],
  };
  // What is there already, read up front: a row there is compared, not inserted again.
  const there: Record<CarriedTable, Map<string, Row>> = {
    projects: await rowsThere(
      tx,
      "projects",
      plan.projects.map((p) => p.id),
    ),
    portraits: await rowsThere(
      tx,
      "portraits",
      plan.portraits.map((p) => p.id),
    ),
    videos: await rowsThere(
      tx,
      "videos",
      plan.videos.map((v) => v.id),
    ),
  };
  /** Compares (and with `sync` updates) a row found there; one created meanwhile (a PUT) is read now. */
  const carry = async (table: CarriedTable, id: string, row: Parameters<typeof carryRow>[1]) => {
    const current = there[table].get(id) ?? (await rowsThere(tx, table, [id])).get(id);
    if (!current) return;
    const update = await carryRow(tx, row, current, enqueueOptions.now, sync);
    if (update) result.differing.push(update);
  };
  const count = (table: Counted, written: boolean) => {
    result[written ? "imported" : "present"][table] += 1;
  };
  await writeEmails(tx, plan.emails, enqueueOptions, result);
  // Projects first: portraits point at them.
  for (const subject of [...plan.projects, ...plan.portraits]) {
    const table = subject.type === "project" ? "projects" : "portraits";
    const inserted = !there[table].has(subject.id) && (await insertSubject(tx, subject));
    count(table, inserted);
    if (!inserted) await carry(table, subject.id, { subject });
    for (const notice of subject.notices) count("lifecycle_notices", await insertNotice(tx, subject, notice));
  }
  for (const v of plan.videos) {
    if (there.videos.has(v.id)) {
      count("videos", false);
      await carry("videos", v.id, { video: v });
      continue;
    }
    const written = await tx.get(
      `insert into videos (id, portrait_id, title, media_url, start_at, end_at, rotation_type, rotation_order, status,
         is_shown, last_activated_at, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict do nothing returning id`,
      [
        v.id,
        v.portraitId,
        v.title,
        v.mediaUrl,
        v.startAt,
        v.endAt,
        v.rotationType,
        v.rotationOrder,
        v.status,
        v.isShown,
        v.lastActivatedAt,
        v.createdAt,
        enqueueOptions.now,
      ],
    );
    count("videos", written !== undefined);
    if (written === undefined) await carry("videos", v.id, { video: v });
  }
  for (const h of plan.history) {
    const there = await tx.get(
      "select 1 as found from video_schedule_history where video_id = ? and reason = ? and at = ?",
      [h.videoId, h.reason, h.at],
    );
    if (!there) {
      await tx.run(
        `insert into video_schedule_history (video_id, portrait_id, old_state, new_state, reason, at, actor)
         values (?, ?, ?, ?, ?, ?, ?)`,
        [h.videoId, h.portraitId, h.oldState, h.newState, h.reason, h.at, h.actor],
      );
    }
    count("video_schedule_history", !there);
  }
  return result;
}

/** Mail per enqueue call: one INSERT (and one NOTIFY) for many rows, instead of one each. */
const EMAIL_CHUNK = 500;

/**
 * Through the queue's own enqueue, so a seed row meets the API's rules (addresses, subject,
 * size) and gets a Message-ID; then the seed's state, which enqueue does not take, is written
 * over the new row. The seed sends its body even when it names a template, so the body is
 * kept and the template id is stored beside it, as a label. A chunk is enqueued at once; one
 * the queue refuses (enqueueEmails stores all or none) is enqueued row by row, to skip only the
 * rows refused.
 */
async function writeEmails(
  tx: Sql,
  emails: readonly PlannedEmail[],
  options: EnqueueOptions,
  result: WriteResult,
): Promise<void> {
  for (let i = 0; i < emails.length; i += EMAIL_CHUNK) {
    const chunk = emails.slice(i, i + EMAIL_CHUNK);
    let jobs: EnqueueResult[] | null = null;
    try {
      jobs = await enqueueEmails(tx, chunk.map(inputOf), options);
    } catch (error) {
      if (!(error instanceof EmailValidationError)) throw error;
    }
    for (const [k, email] of chunk.entries()) {
      let job = jobs?.[k];
      if (!job) {
        try {
          job = await enqueueEmail(tx, inputOf(email), options);
        } catch (error) {
          if (!(error instanceof EmailValidationError)) throw error;
          result.refused.push({ table: "email_queue", id: email.seedId, reason: error.message, outcome: "skipped" });
          continue;
        }
      }
      await settleImported(tx, email, job, result);
    }
  }
}

function inputOf(e: PlannedEmail): EmailInput {
  return {
    to: e.to,
    subject: e.subject,
    text: e.text,
    html: e.html ?? undefined,
    variables: e.variables ?? undefined,
    idempotencyKey: e.seedId,
  };
}

async function settleImported(tx: Sql, e: PlannedEmail, job: EnqueueResult, result: WriteResult): Promise<void> {
  if (!job.created) {
    result.present.email_queue += 1;
    return;
  }
  await tx.run(
    `update email_jobs set status = ?, attempts = ?, last_error = ?, template_id = ?, created_at = ?, updated_at = ?,
       sent_at = ? where id = ?`,
    [
      e.status,
      e.attempts,
      e.lastError,
      e.templateId,
      e.createdAt,
      e.updatedAt,
      e.status === "sent" ? e.updatedAt : null,
      job.id,
    ],
  );
  result.imported.email_queue += 1;
  result.jobs[e.status] += 1;
  if (e.status === "failed") result.jobs.failedIds.push(job.id);
}

/**
 * A project or a portrait: the same lifecycle columns, and only the title's column (a project's
 * `name`) and a portrait's project apart, so the row is built once and its table named by type.
 */
async function insertSubject(tx: Sql, s: PlannedSubject): Promise<boolean> {
  const values: Record<string, unknown> = {
    id: s.id,
    ...(s.type === "project" ? { name: s.title } : { project_id: s.projectId, title: s.title }),
    owner_email: s.ownerEmail,
    subscription_end: s.subscriptionEnd,
    lifecycle_status: s.lifecycleStatus,
    lifecycle_changed_at: s.lifecycleChangedAt,
    created_at: s.createdAt,
    updated_at: s.createdAt,
  };
  const columns = Object.keys(values);
  const row = await tx.get(
    `insert into ${s.type === "project" ? "projects" : "portraits"} (${columns.join(", ")})
     values (${columns.map(() => "?").join(", ")}) on conflict do nothing returning id`,
    Object.values(values),
  );
  return row !== undefined;
}

/** The seed's "notice sent" timestamp as Steward's notice record, so the pass does not send it again. */
async function insertNotice(tx: Sql, s: PlannedSubject, notice: PlannedSubject["notices"][number]): Promise<boolean> {
  const row = await tx.get(
    `insert into lifecycle_notices (subject_type, subject_id, kind, subscription_end, recipient, created_at)
     values (?, ?, ?, ?, ?, ?) on conflict do nothing returning id`,
    [s.type, s.id, notice.kind, s.subscriptionEnd, s.ownerEmail, notice.at],
  );
  return row !== undefined;
}
