// Canned answers for the dashboard fixture, shaped by research/dashboard-api.md and built
// around one `now` so relative times ("in 5 min") read sensibly in screenshots.
import type {
  Alert,
  Backup,
  EmailDetail,
  EmailStatus,
  Instance,
  PortraitVideo,
  ScheduleJob,
  SentNotice,
  ServiceStatus,
  Subject,
  VideoChange,
} from "../../src/dashboard/types.js";

export interface FixtureData {
  now: Date;
  paused: boolean;
  services: ServiceStatus[];
  instances: Instance[];
  alerts: Alert[];
  jobs: EmailDetail[];
  perMinute: { at: string; sent: number; failed: number }[];
  projects: Subject[];
  portraits: Subject[];
  sentNotices: SentNotice[];
  videos: PortraitVideo[];
  videoHistory: VideoChange[];
  backups: Backup[];
  schedule: ScheduleJob[];
}

/** A stored value that must show as text: if it were parsed as HTML the image would load. */
export const HOSTILE = `<img src=x onerror="window.__xss=1">Renewal <b>soon</b>`;
export const BATCH = "newsletter-december";

const MIN = 60_000;
const DAY = 86_400_000;

export function fixtureData(now = new Date(Math.floor(Date.now() / MIN) * MIN)): FixtureData {
  const at = (offsetMs: number) => new Date(now.getTime() + offsetMs).toISOString();
  const service = (name: string, leader: boolean | null, next: number, details?: ServiceStatus["details"]) => ({
    name,
    enabled: true,
    state: "running" as const,
    leader,
    startedAt: at(-3 * 3600_000),
    lastRunAt: at(-2 * MIN),
    lastSuccessAt: at(-2 * MIN),
    lastError: null,
    nextRunAt: at(next),
    runs: 180,
    failures: 0,
    consecutiveFailures: 0,
    details,
  });
  const transport = {
    kind: "smtp",
    state: "up" as const,
    since: at(-3 * 3600_000),
    lastError: null,
    nextProbeAt: null,
  };
  return {
    now,
    paused: false,
    services: [
      service("email", null, 90_000, { transport, paused: false, workers: 4, inFlight: 1 }),
      service("lifecycle", true, 58 * MIN),
      service("video", true, 3 * MIN),
      service("backup", true, 9 * 3600_000),
    ],
    instances: ["app-1", "app-2"].map((id, i) => ({
      id,
      hostname: `web-${i + 1}`,
      pid: 4100 + i,
      version: "0.1.0",
      startedAt: at(-3 * 3600_000),
      heartbeatAt: at(-(i + 1) * 1000),
      services: i === 0 ? ["email", "lifecycle", "video", "backup"] : ["email", "lifecycle", "video"],
      leads: i === 0 ? ["lifecycle", "video", "backup"] : [],
    })),
    alerts: [
      alert("a3", at(-12 * MIN), "error", "email.transport.down", "SMTP unreachable for 2 min: connect ECONNREFUSED"),
      alert("a2", at(-10 * MIN), "info", "email.transport.up", "SMTP is back after 2 min"),
      alert("a1", at(-2 * DAY), "warning", "backup.verify.slow", "Verifying the full backup took 14 min"),
    ],
    jobs: emailJobs(at),
    perMinute: Array.from({ length: 60 }, (_, i) => ({
      at: at((i - 60) * MIN),
      sent: Math.round(8 + 6 * Math.sin(i / 6) + (i % 7)),
      failed: i % 9 === 0 ? 2 : i % 13 === 0 ? 1 : 0,
    })),
    projects: subjects("project", at),
    portraits: subjects("portrait", at),
    sentNotices: Array.from({ length: 30 }, (_, i) => ({
      id: `n-${i + 1}`,
      at: at(-(i + 1) * 3 * 3600_000),
      kind: ["7day", "24hour", "expired"][i % 3] as string,
      subject: i % 2 ? "portrait" : "project",
      subjectId: `${i % 2 ? "por" : "prj"}-${100 + i}`,
      emailId: `job-${String(40 + (i % 20)).padStart(3, "0")}`,
    })),
    videos: Array.from({ length: 12 }, (_, i) => ({
      portraitId: `por-${200 + i}`,
      shown:
        i === 3
          ? null
          : {
              videoId: `vid-${i}-a`,
              title: i === 0 ? HOSTILE : `Summer portrait ${i}`,
              mediaUrl: `https://media.example.com/v/${i}/a.mp4`,
              since: at(-(i + 1) * DAY),
            },
      next:
        i % 4 === 1
          ? null
          : {
              at: at((i + 1) * 3600_000),
              change: ["activate", "rotate", "deactivate"][i % 3] as string,
              videoId: `vid-${i}-b`,
            },
      videos: 1 + (i % 4),
    })),
    videoHistory: Array.from({ length: 30 }, (_, i) => ({
      id: `h-${i + 1}`,
      at: at(-(i + 1) * 5 * 3600_000),
      portraitId: `por-${200 + (i % 12)}`,
      videoId: `vid-${i % 12}-a`,
      change: ["activate", "rotate", "deactivate", "archive"][i % 4] as string,
      fromVideoId: i % 2 ? `vid-${i % 12}-b` : null,
      actor: i % 3 ? "scheduler" : "api",
    })),
    backups: Array.from({ length: 24 }, (_, i) => backup(i, at)),
    schedule: [
      ["database", "0 2 * * *"],
      ["storage", "30 2 * * *"],
      ["full", "0 3 * * 0"],
      ["rotation", "0 4 * * *"],
    ].map(([name, schedule], i) => ({
      name: name as string,
      enabled: true,
      schedule: schedule as string,
      timezone: "UTC",
      nextRuns: Array.from({ length: 5 }, (_, k) =>
        at((k + 1) * (i === 2 ? 7 : 1) * DAY - 8 * 3600_000 + i * 1800_000),
      ),
    })),
  };
}

function alert(id: string, at: string, severity: Alert["severity"], key: string, message: string): Alert {
  return { id, at, severity, key, message, instance: "app-1" };
}

const STATUSES: EmailStatus[] = [
  "sent",
  "sent",
  "sent",
  "pending",
  "failed",
  "sent",
  "cancelled",
  "sending",
  "sent",
  "failed",
];

function emailJobs(at: (ms: number) => string): EmailDetail[] {
  return Array.from({ length: 60 }, (_, i) => {
    const status = STATUSES[i % STATUSES.length] as EmailStatus;
    const to = `reader${i % 15}@example.com`;
    const failed = status === "failed";
    return {
      id: `job-${String(60 - i).padStart(3, "0")}`,
      status,
      to: [to],
      subject: i === 4 ? HOSTILE : `Your portrait update #${60 - i}`,
      attempts: failed ? 5 : status === "sent" ? 1 : 0,
      createdAt: at(-(i + 1) * 7 * MIN),
      runAt: status === "pending" ? at(2 * MIN) : null,
      sentAt: status === "sent" ? at(-(i + 1) * 7 * MIN + 4000) : null,
      lastError: failed ? "550 5.1.1 mailbox unavailable" : null,
      batchId: i < 20 ? BATCH : null,
      priority: 0,
      cc: [],
      bcc: [],
      from: "Steward <noreply@example.com>",
      replyTo: null,
      maxAttempts: 5,
      messageId: status === "sent" ? `<${60 - i}@steward.example.com>` : null,
      templateId: null,
      lastSmtpCode: failed ? 550 : null,
      recipients: failed
        ? { delivered: [], pending: [], refused: [{ address: to, code: 550, reply: "5.1.1 mailbox unavailable" }] }
        : {
            delivered: status === "sent" ? [to] : [],
            pending: status === "sent" ? [] : [{ address: to, code: null, reply: null }],
            refused: [],
          },
      updatedAt: at(-(i + 1) * 7 * MIN + 5000),
    };
  });
}

function subjects(kind: "project" | "portrait", at: (ms: number) => string): Subject[] {
  return Array.from({ length: 24 }, (_, i) => ({
    id: `${kind === "project" ? "prj" : "por"}-${100 + i}`,
    ...(kind === "project" ? { name: i === 2 ? HOSTILE : `Family album ${i + 1}` } : { projectId: `prj-${100 + i}` }),
    ownerEmail: `owner${i}@example.com`,
    ownerName: i % 3 === 0 ? null : `Owner ${i}`,
    subscriptionEnd: at((i + 1) * 1.2 * DAY),
    status: i < 5 ? "expiring" : "active",
    updatedAt: at(-DAY),
  }));
}

function backup(i: number, at: (ms: number) => string): Backup {
  const kind = (["database", "storage", "database", "full"] as const)[i % 4] ?? "database";
  const failed = i === 5;
  const started = at(-(i + 1) * 12 * 3600_000);
  return {
    id: `bk-${String(100 - i)}`,
    kind,
    status: failed ? "failed" : "succeeded",
    startedAt: started,
    finishedAt: at(-(i + 1) * 12 * 3600_000 + 95_000),
    durationMs: failed ? 4_000 : 95_000 + i * 1000,
    sizeBytes: failed ? null : (kind === "full" ? 512 : kind === "storage" ? 340 : 48) * 1024 * 1024 + i * 12345,
    verified: !failed && i % 3 !== 2,
    verifiedAt: !failed && i % 3 !== 2 ? at(-(i + 1) * 12 * 3600_000 + 120_000) : null,
    location: `/data/backups/${kind}/${started.slice(0, 19).replace(/:/g, "")}.tar.gz`,
    error: failed ? "pg_dump: connection refused" : null,
  };
}
