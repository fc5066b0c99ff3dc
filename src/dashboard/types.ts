// The admin API's answers as the dashboard reads them (research/dashboard-api.md). Only types:
// nothing here reaches the browser.

/** ISO 8601 UTC, or "infinity" / "-infinity" for open-ended instants. */
export type Instant = string;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Session {
  authenticated: boolean;
  tokenRequired: boolean;
  csrf: string | null;
}

export type ServiceState = "disabled" | "starting" | "running" | "stopping" | "stopped" | "failed";

export interface Transport {
  kind: string;
  state: "up" | "down" | "probing";
  since: Instant | null;
  lastError: string | null;
  nextProbeAt: Instant | null;
}

export interface ServiceStatus {
  name: string;
  enabled: boolean;
  state: ServiceState;
  leader: boolean | null;
  startedAt: Instant | null;
  lastRunAt: Instant | null;
  lastSuccessAt: Instant | null;
  lastError: { message: string; at: Instant } | null;
  nextRunAt: Instant | null;
  runs: number;
  failures: number;
  consecutiveFailures: number;
  details?: { transport?: Transport; paused?: boolean; workers?: number; inFlight?: number; [key: string]: unknown };
}

export interface Status {
  version: string;
  startedAt: Instant;
  instance: { id: string; hostname: string; pid: number };
  services: Record<string, ServiceStatus>;
}

export interface Instance {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  startedAt: Instant;
  heartbeatAt: Instant;
  services: string[];
  leads: string[];
}

export type Severity = "info" | "warning" | "error" | "critical";

export interface Alert {
  id: string;
  at: Instant;
  severity: Severity;
  key: string;
  message: string;
  instance: string | null;
}

export type EmailStatus = "pending" | "sending" | "sent" | "failed" | "cancelled";
export type Counts = Record<EmailStatus, number>;

export interface MinuteCount {
  at: Instant;
  sent: number;
  failed: number;
}

export interface EmailStats {
  counts: Counts;
  oldestPendingAgeSeconds: number | null;
  perMinute: MinuteCount[];
  paused: boolean;
}

export interface EmailSummary {
  id: string;
  status: EmailStatus;
  to: string[];
  subject: string;
  attempts: number;
  createdAt: Instant;
  runAt: Instant | null;
  sentAt: Instant | null;
  lastError: string | null;
  batchId: string | null;
  priority: number;
}

export interface EmailDetail extends EmailSummary {
  cc: string[];
  bcc: string[];
  from: string | null;
  replyTo: string | null;
  /** Null: the job has no limit of its own and gets EMAIL_MAX_ATTEMPTS. */
  maxAttempts: number | null;
  messageId: string | null;
  templateId: string | null;
  lastSmtpCode: number | null;
  /** As `steward email show` prints it: a pending recipient carries its temporary refusal, if any. */
  recipients: {
    delivered: string[];
    pending: Refusal[];
    refused: Refusal[];
  } | null;
  updatedAt: Instant;
}

export interface Refusal {
  address: string;
  code: number | null;
  reply: string | null;
}

export interface Preview {
  subject: string;
  from: string;
  to: string[];
  text: string | null;
  html: string | null;
}

export interface Batch {
  batchId: string;
  total: number;
  counts: Counts;
  startedAt: Instant;
  finishedAt: Instant | null;
}

export interface Subject {
  id: string;
  name?: string;
  projectId?: string;
  ownerEmail: string;
  ownerName: string | null;
  subscriptionEnd: Instant;
  status: string;
  updatedAt: Instant;
}

export interface PlannedNotice {
  at: Instant;
  kind: "7day" | "24hour" | "expired";
  subject: "project" | "portrait";
  id: string;
  ownerEmail: string;
}

export interface Plan {
  from: Instant;
  to: Instant;
  notices: PlannedNotice[];
  truncated?: boolean;
}

export interface SentNotice {
  id: string;
  at: Instant;
  kind: string;
  subject: string;
  subjectId: string;
  emailId: string | null;
}

export interface PortraitVideo {
  portraitId: string;
  shown: { videoId: string; title: string; mediaUrl: string; since: Instant } | null;
  next: { at: Instant; change: string; videoId: string | null } | null;
  videos: number;
}

export interface VideoChange {
  id: string;
  at: Instant;
  portraitId: string;
  videoId: string | null;
  change: string;
  fromVideoId: string | null;
  actor: string;
}

export type BackupKind = "database" | "storage" | "full";

export interface Backup {
  id: string;
  kind: BackupKind;
  status: "running" | "succeeded" | "failed" | "interrupted";
  startedAt: Instant;
  finishedAt: Instant | null;
  durationMs: number | null;
  sizeBytes: number | null;
  verified: boolean;
  verifiedAt: Instant | null;
  location: string | null;
  error: string | null;
}

export interface BackupProgress {
  id: string;
  kind: BackupKind;
  phase: "database" | "storage" | "verify" | "done" | "failed";
  percent: number;
  bytes: number;
  status: string;
}

export interface ScheduleJob {
  name: string;
  enabled: boolean;
  schedule: string;
  timezone: string;
  nextRuns: Instant[];
}

/** POST /emails/drain: what the drain did. */
export interface DrainSummary {
  claimed: number;
  sent: number;
  retrying: number;
  failed: number;
}

/** POST /emails/verify-smtp: each step's outcome; login.ok null when no SMTP_USER is set. */
export interface SmtpCheck {
  connection: { ok: boolean; detail: string };
  login: { ok: boolean | null; detail: string };
}

/** POST /doctor/recount: each counter before and after. */
export interface Recount {
  counters: { name: string; was: number; now: number }[];
  drifted: number;
}

/** POST /run/<name>: a pass's summary (its fields differ per service) and how many failed. */
export interface PassSummary {
  failures: number;
  [field: string]: unknown;
}
