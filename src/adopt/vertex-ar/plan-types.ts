/** The planned rows: Steward's rows made from the seed's, and the reasons rows were left out. */

export type SeedTable = "email_queue" | "projects" | "portraits" | "videos" | "video_schedule_history";
export const SEED_TABLES: readonly SeedTable[] = [
  "email_queue",
  "projects",
  "portraits",
  "videos",
  "video_schedule_history",
];

/** The id an Issue gives when it is about a whole table. */
export const WHOLE_TABLE = "(all)";

export interface Issue {
  table: SeedTable | "clients";
  id: string;
  reason: string;
  /** `skipped`: nothing written for the row; `imported`: written, without what the reason names. */
  outcome: "skipped" | "imported";
}

export type NoticeKind = "7day" | "24hour" | "expired";

export interface PlannedEmail {
  seedId: string;
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  templateId: string | null;
  variables: Record<string, unknown> | null;
  /** `sending` rows, stuck for good in the seed, come in as `pending`. */
  status: "pending" | "failed" | "sent";
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface PlannedSubject {
  type: "project" | "portrait";
  id: string;
  title: string;
  ownerEmail: string | null;
  projectId: string | null;
  subscriptionEnd: Date | null;
  lifecycleStatus: "active" | "expiring" | "archived";
  lifecycleChangedAt: Date | null;
  createdAt: Date;
  /** The seed's notice timestamps: notices already sent for the current subscription end. */
  notices: Array<{ kind: NoticeKind; at: Date }>;
}

export interface PlannedVideo {
  id: string;
  portraitId: string;
  title: string;
  mediaUrl: string;
  startAt: Date | null;
  endAt: Date | null;
  rotationType: "none" | "sequential" | "cyclic";
  rotationOrder: number;
  status: "active" | "inactive" | "archived";
  isShown: boolean;
  lastActivatedAt: Date | null;
  createdAt: Date;
}

export interface PlannedHistory {
  seedId: string;
  videoId: string;
  portraitId: string;
  oldState: "shown" | "hidden";
  newState: "shown" | "hidden";
  reason: "schedule_activation" | "schedule_deactivation";
  at: Date;
  actor: string;
}

export interface ImportPlan {
  read: Record<SeedTable, number>;
  emails: PlannedEmail[];
  projects: PlannedSubject[];
  portraits: PlannedSubject[];
  videos: PlannedVideo[];
  history: PlannedHistory[];
  issues: Issue[];
}
