import { readableUtc, type SubjectType } from "../../subjects/index.js";
import type { EmailInput } from "../email/index.js";
import type { NoticeKind } from "./rules.js";

/** A subject whose notice is due, as the pass reads it (owner already resolved). */
export interface NoticeCandidate {
  subjectType: SubjectType;
  subjectId: string;
  subscriptionEnd: Date;
  /** The portrait's owner, else its project's; null when neither has one. */
  recipient: string | null;
  subjectName: string;
  projectName: string | null;
}

export const noticeTemplateId = (kind: NoticeKind): string => `lifecycle_${kind}`;

/**
 * The email's idempotency key is the notice's unique key (subject, kind, E), so the email
 * queue refuses a second job for a notice even if a second notice row could ever be written.
 */
export function noticeIdempotencyKey(c: NoticeCandidate, kind: NoticeKind): string {
  return `lifecycle:${c.subjectType}:${c.subjectId}:${kind}:${c.subscriptionEnd.toISOString()}`;
}

/** Every tag the lifecycle_* templates use (a test checks the templates against this). */
export function noticeVariables(c: NoticeCandidate): Record<string, unknown> {
  return {
    subjectType: c.subjectType,
    subjectLabel: c.subjectType === "project" ? "Project" : "Portrait",
    subjectId: c.subjectId,
    subjectName: c.subjectName || c.subjectId,
    projectName: c.projectName,
    subscriptionEnd: c.subscriptionEnd.toISOString(),
    subscriptionEndText: readableUtc(c.subscriptionEnd),
  };
}

export function noticeEmail(c: NoticeCandidate, kind: NoticeKind): EmailInput {
  return {
    to: c.recipient ?? "",
    templateId: noticeTemplateId(kind),
    variables: noticeVariables(c),
    idempotencyKey: noticeIdempotencyKey(c, kind),
  };
}
