import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { projectRoot } from "../core/project.js";
import { configSection, type Dirs, type Values, v } from "./fields.js";
import { VarProblem } from "./host.js";

export const emailVars = {
  EMAIL_QUEUE_ENABLED: v.bool(true, "run the email queue's workers in this process"),
  EMAIL_QUEUE_WORKERS: v.int(3, "emails sent concurrently by this process", 1, 256),
  EMAIL_POLL_INTERVAL_MS: v.int(
    500,
    "how often idle workers look for jobs no wake-up announced (a send time or retry come round, a file system without change events); on PostgreSQL with LISTEN connected, every 30 s or this, whichever is longer",
    10,
    600_000,
  ),
  EMAIL_LEASE_SECONDS: v.int(
    60,
    "a claimed job returns to pending if its worker stops renewing for this long (looked for every quarter of it, 1-60 s)",
    5,
    86_400,
  ),
  EMAIL_RETRY_DELAYS: v.secondsList(
    "30s,2m,10m,30m,1h,2h,4h,8h,8h,8h",
    "wait before each retry after a temporary refusal (seconds, or 30s, 2m, 1h, 1d); the last one repeats",
  ),
  EMAIL_RETRY_MAX_ATTEMPTS: v.int(
    11,
    "attempts before a temporarily refused job is failed (an unreachable server spends none)",
    1,
    1000,
  ),
  EMAIL_RETRY_MAX_AGE: v.duration(
    "0",
    "no retry later than this long after the job was queued (seconds, or 36h, 2d); 0 = no time bound",
  ),
  EMAIL_MAX_BYTES: v.int(10 * 1024 * 1024, "largest accepted message (bodies, headers and variables), in bytes", 1024),
  EMAIL_FROM: v.optionalString("default From address; required when SMTP_HOST is set", {
    defaultNote: "Steward <steward@localhost> when SMTP_HOST is unset",
    pattern: {
      re: /^([^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/,
      form: "an address (a@example.com or Name <a@example.com>)",
    },
  }),
  EMAIL_RATE_LIMIT: v.number(0, "messages per second over all workers of this process; 0 = no limit", 0, 100_000),
  EMAIL_TEMPLATES_DIR: v.optionalString("one folder per template id with subject, text and html parts", {
    defaultNote: "the templates shipped in Steward's config/templates",
  }),
  EMAIL_RETENTION_DAYS: v.int(30, "sent, failed and cancelled jobs older than this are deleted daily; 0 keeps them", 0),
  EMAIL_ALERT_FAILURE_RATE: v.number(
    0.1,
    "alert when more than this share of the last hour's sends failed (>= 10 sends)",
    0,
    1,
  ),
  EMAIL_ALERT_BACKLOG_SECONDS: v.int(
    900,
    "alert when the oldest due email has waited longer than this many seconds; 0 = never",
    0,
  ),
  SMTP_HOST: v.optionalString("SMTP server; unset writes each message as an .eml file under DATA_DIR/outbox", {
    pattern: {
      re: /^(\[?[0-9a-fA-F:.]+\]?|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/,
      form: "a host name or IP address (no scheme or port)",
    },
  }),
  SMTP_PORT: v.port(587, "SMTP server port"),
  SMTP_SECURE: v.bool(false, "connect with TLS from the start (port 465); otherwise STARTTLS when offered"),
  SMTP_USER: v.optionalString("SMTP login user", {
    pattern: { re: /^\P{Cc}+$/u, form: "a user name without control characters" },
  }),
  SMTP_PASSWORD: v.optionalString("SMTP login password", { secret: true }),
  SMTP_POOL_SIZE: v.int(5, "pooled SMTP connections, reused across jobs", 1, 100),
  SMTP_TIMEOUT_SECONDS: v.int(30, "connection, greeting and socket timeout for SMTP", 1, 600),
  EMAIL_SEND_THREADS: v.string(
    "1",
    "threads that send messages over SMTP: 1 = the main thread streams them (built on a compose thread where there are 2 cores or more); N or auto (one per core) = worker threads that build and send, sharing SMTP_POOL_SIZE",
    { pattern: { re: /^(auto|[1-9]\d?)$/, form: "auto or an integer 1-99" } },
  ),
};

export interface EmailConfig {
  enabled: boolean;
  workers: number;
  pollIntervalMs: number;
  leaseMs: number;
  retryDelaysMs: number[];
  maxAttempts: number;
  /** 0: retries are bounded by maxAttempts alone. */
  maxAgeMs: number;
  maxBytes: number;
  from: string;
  rateLimit: number;
  templatesDir: string;
  retentionDays: number;
  alertFailureRate: number;
  /** 0: no backlog alert. */
  alertBacklogMs: number;
  outboxDir: string;
  smtp:
    | {
        host: string;
        port: number;
        secure: boolean;
        user: string | undefined;
        password: string | undefined;
        poolSize: number;
        timeoutMs: number;
      }
    | undefined;
  /**
   * Worker threads that build and send SMTP messages; 1 sends on the main thread. `auto` is
   * resolved to the cores here; never more than SMTP_POOL_SIZE (each thread owns a share of
   * the connections), and 1 when there is no SMTP server (the outbox is not worth a thread).
   */
  sendThreads: number;
}

export const emailSection = configSection("email", "Email queue", emailVars, resolveEmail);

export function resolveEmail(values: Values<typeof emailVars>, ctx: Dirs): EmailConfig {
  if (values.SMTP_HOST && !values.EMAIL_FROM) {
    throw new VarProblem("EMAIL_FROM", "", "is required when SMTP_HOST is set");
  }
  if (!values.SMTP_HOST && values.SMTP_USER) {
    throw new VarProblem("SMTP_USER", values.SMTP_USER, "is set but SMTP_HOST is not (mail would go to the outbox)");
  }
  if (!values.SMTP_HOST && values.SMTP_PASSWORD) {
    throw new VarProblem("SMTP_PASSWORD", "", "is set but SMTP_HOST is not (mail would go to the outbox)");
  }
  if (values.SMTP_PASSWORD && !values.SMTP_USER) {
    throw new VarProblem("SMTP_USER", "", "is required when SMTP_PASSWORD is set");
  }
  const templatesDir = values.EMAIL_TEMPLATES_DIR
    ? path.resolve(ctx.cwd, values.EMAIL_TEMPLATES_DIR)
    : path.join(projectRoot(), "config", "templates");
  if (!fs.existsSync(templatesDir) || !fs.statSync(templatesDir).isDirectory()) {
    throw new VarProblem("EMAIL_TEMPLATES_DIR", values.EMAIL_TEMPLATES_DIR ?? templatesDir, "is not a directory");
  }
  const threads = values.EMAIL_SEND_THREADS === "auto" ? os.availableParallelism() : Number(values.EMAIL_SEND_THREADS);
  return {
    enabled: values.EMAIL_QUEUE_ENABLED,
    workers: values.EMAIL_QUEUE_WORKERS,
    pollIntervalMs: values.EMAIL_POLL_INTERVAL_MS,
    leaseMs: values.EMAIL_LEASE_SECONDS * 1000,
    retryDelaysMs: values.EMAIL_RETRY_DELAYS.map((s) => Math.round(s * 1000)),
    maxAttempts: values.EMAIL_RETRY_MAX_ATTEMPTS,
    maxAgeMs: Math.round(values.EMAIL_RETRY_MAX_AGE * 1000),
    maxBytes: values.EMAIL_MAX_BYTES,
    from: values.EMAIL_FROM ?? "Steward <steward@localhost>",
    rateLimit: values.EMAIL_RATE_LIMIT,
    templatesDir,
    retentionDays: values.EMAIL_RETENTION_DAYS,
    alertFailureRate: values.EMAIL_ALERT_FAILURE_RATE,
    alertBacklogMs: values.EMAIL_ALERT_BACKLOG_SECONDS * 1000,
    outboxDir: path.join(ctx.dataDir, "outbox"),
    smtp: values.SMTP_HOST
      ? {
          host: values.SMTP_HOST,
          port: values.SMTP_PORT,
          secure: values.SMTP_SECURE,
          user: values.SMTP_USER,
          password: values.SMTP_PASSWORD,
          poolSize: values.SMTP_POOL_SIZE,
          timeoutMs: values.SMTP_TIMEOUT_SECONDS * 1000,
        }
      : undefined,
    sendThreads: values.SMTP_HOST ? Math.max(1, Math.min(threads, values.SMTP_POOL_SIZE)) : 1,
  };
}
