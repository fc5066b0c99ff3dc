import {
  type ImportPlan,
  type Issue,
  type NoticeKind,
  type PlannedEmail,
  type PlannedSubject,
  WHOLE_TABLE,
} from "./plan-types.js";
import { lastActivations, planHistory, planVideos } from "./plan-videos.js";
import type { SeedData } from "./seed.js";
import { oneOf, Problem, type Row, requiredTime, text, time } from "./seed-values.js";

export {
  type ImportPlan,
  type Issue,
  type NoticeKind,
  type PlannedEmail,
  type PlannedHistory,
  type PlannedSubject,
  type PlannedVideo,
  SEED_TABLES,
  type SeedTable,
  WHOLE_TABLE,
} from "./plan-types.js";

/**
 * The seed's rows turned into Steward's, as data: what to write, and each row left out (or
 * changed on the way in) with the reason. Pure, so the mapping is tested without a database;
 * the email rules (addresses, size) are the queue's own and apply when the jobs are written.
 */

export interface PlanOptions {
  /** The import's time: when a video shown at the switch counts as shown since, if the seed kept no record. */
  now: Date;
  /** Bring `sent` rows in as history; by default they are left behind. */
  includeSent: boolean;
  /** Mail created before this is left out (a sync's cut: see import.ts); null takes all. */
  mailSince: Date | null;
}

/** An address the RFC 5322 parser has a chance with; the queue's own check decides for mail. */
const LOOKS_LIKE_ADDRESS = /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\]+$/;

export function planImport(seed: SeedData, options: PlanOptions): ImportPlan {
  const issues: Issue[] = seed.leftOut.map(({ table, reason }) => ({
    table: table === "folders" ? "portraits" : table,
    id: WHOLE_TABLE,
    reason:
      table === "folders" ? `${reason}: portraits come in without their project` : `${reason}: no project imported`,
    outcome: table === "folders" ? "imported" : "skipped",
  }));
  const attempt = <T>(table: Issue["table"], id: string, fn: () => T): T | null => {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      issues.push({ table, id, reason: error.message, outcome: "skipped" });
      return null;
    }
  };

  const emails = seed.emails.flatMap((row) => {
    const planned = attempt("email_queue", String(row.id), () => planEmail(row, options));
    return planned ? [planned] : [];
  });

  const ownerOf = clientEmails(seed.clients, seed.portraits, issues);
  const clientName = new Map(seed.clients.map((c) => [String(c.id), text(c.name) ?? ""]));
  const folderProject = new Map(seed.folders.map((f) => [String(f.id), text(f.project_id)]));

  const projects = seed.projects.flatMap((row) => {
    const planned = attempt("projects", String(row.id), () =>
      planSubject(
        row,
        "project",
        {
          title: text(row.name) ?? "",
          ownerEmail: null,
          projectId: null,
          status: "status",
          changedAt: "last_status_change",
          notices: { "7day": "notified_7d", "24hour": "notified_24h", expired: "notified_expired" },
        },
        issues,
      ),
    );
    return planned ? [planned] : [];
  });
  const projectIds = new Set(projects.map((p) => p.id));

  const portraits = seed.portraits.flatMap((row) => {
    const id = String(row.id);
    const folder = text(row.folder_id);
    const project = folder ? (folderProject.get(folder) ?? null) : null;
    if (project && !projectIds.has(project)) {
      issues.push({ table: "portraits", id, reason: `its project ${project} was not imported`, outcome: "imported" });
    }
    const planned = attempt("portraits", id, () =>
      planSubject(
        row,
        "portrait",
        {
          title: clientName.get(String(row.client_id)) ?? "",
          ownerEmail: ownerOf.get(id) ?? null,
          projectId: project && projectIds.has(project) ? project : null,
          status: "lifecycle_status",
          changedAt: "last_status_change",
          notices: {
            "7day": "notification_7days_sent",
            "24hour": "notification_24hours_sent",
            expired: "notification_expired_sent",
          },
        },
        issues,
      ),
    );
    return planned ? [planned] : [];
  });
  const portraitIds = new Set(portraits.map((p) => p.id));

  const activations = lastActivations(seed.history);
  const videos = planVideos(seed.videos, portraitIds, activations, options.now, issues, attempt);
  const videoPortrait = new Map(videos.map((v) => [v.id, v.portraitId]));
  const history = seed.history.flatMap((row) => {
    const planned = attempt("video_schedule_history", String(row.id), () => planHistory(row, videoPortrait));
    return planned ? [planned] : [];
  });

  return {
    read: {
      email_queue: seed.emails.length,
      projects: seed.projects.length,
      portraits: seed.portraits.length,
      videos: seed.videos.length,
      video_schedule_history: seed.history.length,
    },
    emails,
    projects,
    portraits,
    videos,
    history,
    issues,
  };
}

function planEmail(row: Row, options: PlanOptions): PlannedEmail {
  const status = oneOf(row.status, "status", ["pending", "sending", "sent", "failed"] as const, "pending");
  if (status === "sent" && !options.includeSent) throw new Problem("sent; history comes in only with --include-sent");
  let variables: Record<string, unknown> | null = null;
  const rawVariables = text(row.variables);
  if (rawVariables !== null && rawVariables !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawVariables);
    } catch {
      throw new Problem("variables is not valid JSON");
    }
    if (parsed !== null && (typeof parsed !== "object" || Array.isArray(parsed))) {
      throw new Problem("variables must be an object");
    }
    variables = parsed as Record<string, unknown> | null;
  }
  const createdAt = requiredTime(row, "created_at");
  if (options.mailSince && createdAt < options.mailSince) {
    throw new Problem(
      "created before EMAIL_RETENTION_DAYS ago: --sync leaves such mail to the first import, as its job may have been cleaned up and would be sent again",
    );
  }
  return {
    seedId: String(row.id),
    // The seed joins recipients with "," and splits them the same way when it sends.
    to: (text(row.recipient_to) ?? "")
      .split(",")
      .map((a) => a.trim())
      .filter((a) => a !== ""),
    subject: text(row.subject) ?? "",
    text: text(row.body) ?? "",
    html: text(row.html),
    templateId: text(row.template_id),
    variables,
    status: status === "sending" ? "pending" : status,
    attempts: Number(row.attempts ?? 0) || 0,
    lastError: text(row.last_error),
    createdAt,
    updatedAt: time(row, "updated_at") ?? createdAt,
  };
}

/** Each portrait's owner: its client's email, when that is an address. */
function clientEmails(clients: Row[], portraits: Row[], issues: Issue[]): Map<string, string> {
  const byClient = new Map<string, string | null>();
  for (const c of clients) {
    const email = text(c.email)?.trim() ?? "";
    if (email === "") byClient.set(String(c.id), null);
    else if (LOOKS_LIKE_ADDRESS.test(email)) byClient.set(String(c.id), email);
    else {
      byClient.set(String(c.id), null);
      issues.push({
        table: "clients",
        id: String(c.id),
        reason: `email "${email}" is not an address; its portraits come in without an owner email`,
        outcome: "imported",
      });
    }
  }
  const out = new Map<string, string>();
  for (const p of portraits) {
    const email = byClient.get(String(p.client_id));
    if (email) out.set(String(p.id), email);
  }
  return out;
}

interface SubjectColumns {
  title: string;
  ownerEmail: string | null;
  projectId: string | null;
  status: string;
  changedAt: string;
  notices: Record<NoticeKind, string>;
}

/**
 * How long before the subscription end each of the seed's notices can have gone out: it sends
 * the 7-day notice with 7 days or less left, the 24-hour one with 24 hours or less, the expired
 * one after the end (vertex-ar/app/project_lifecycle.py).
 */
const NOTICE_OPENS_MS: Record<NoticeKind, number> = { "7day": 7 * 86_400_000, "24hour": 86_400_000, expired: 0 };
/**
 * For the seed's clock and rounding: an end kept with microseconds and a notice time without
 * can put a notice a fraction of a second before its window (p-7d-done in our fixture).
 */
const NOTICE_SLACK_MS = 3_600_000;

function planSubject(row: Row, type: PlannedSubject["type"], c: SubjectColumns, issues: Issue[]): PlannedSubject {
  const subscriptionEnd = time(row, "subscription_end");
  const notices: PlannedSubject["notices"] = [];
  // Noted only once the whole row has been read: a row skipped for another reason gets one line.
  const earlier: Issue[] = [];
  for (const [kind, column] of Object.entries(c.notices) as Array<[NoticeKind, string]>) {
    const at = time(row, column);
    // A notice is Steward's record for one subscription end; without an end there is none to hold.
    if (!at || !subscriptionEnd) continue;
    // A timestamp from before the notice's window for this end was sent for an earlier end: the
    // app renewed the subscription without clearing it. Taken for this end, it would hold back
    // the notice the new period is owed.
    if (at.getTime() < subscriptionEnd.getTime() - NOTICE_OPENS_MS[kind] - NOTICE_SLACK_MS) {
      earlier.push({
        table: type === "project" ? "projects" : "portraits",
        id: String(row.id),
        reason: `${column} ${at.toISOString()} is before the ${kind} notice's window for subscription_end ${subscriptionEnd.toISOString()}: taken as sent for an earlier end`,
        outcome: "imported",
      });
      continue;
    }
    notices.push({ kind, at });
  }
  const lifecycleStatus = oneOf(row[c.status], c.status, ["active", "expiring", "archived"] as const, "active");
  const lifecycleChangedAt = time(row, c.changedAt);
  const createdAt = time(row, "created_at") ?? new Date(0);
  issues.push(...earlier);
  return {
    type,
    id: String(row.id),
    title: c.title,
    ownerEmail: c.ownerEmail,
    projectId: c.projectId,
    subscriptionEnd,
    lifecycleStatus,
    lifecycleChangedAt,
    createdAt,
    notices,
  };
}
