import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { allVars } from "../../src/config/catalog.js";
import { tempDir } from "../helpers/db.js";
import { baseEnv, runSteward } from "../helpers/steward-process.js";

/**
 * One bad value per variable (some need a companion setting to be bad). Each case starts the
 * real process and expects exit code 2 with the variable's name in the message.
 */
const cases: Array<{ name: string; env: (dir: string) => Record<string, string> }> = [
  { name: "DATABASE_URL", env: () => ({ DATABASE_URL: "mysql://db.example/steward" }) },
  {
    name: "DATA_DIR",
    env: (dir) => {
      fs.writeFileSync(path.join(dir, "a-file"), "x");
      return { DATA_DIR: path.join(dir, "a-file") };
    },
  },
  { name: "LOG_LEVEL", env: () => ({ LOG_LEVEL: "loud" }) },
  { name: "LOG_FORMAT", env: () => ({ LOG_FORMAT: "xml" }) },
  { name: "STATUS_HOST", env: () => ({ STATUS_HOST: "bad host!", ADMIN_TOKEN: "0123456789abcdef" }) },
  { name: "STATUS_PORT", env: () => ({ STATUS_PORT: "80a" }) },
  { name: "ADMIN_TOKEN", env: () => ({ ADMIN_TOKEN: "short" }) },
  { name: "STATUS_ALLOWED_HOSTS", env: () => ({ STATUS_ALLOWED_HOSTS: "steward.internal:8787" }) },
  { name: "METRICS_PUBLIC", env: () => ({ METRICS_PUBLIC: "public" }) },
  { name: "STATUS_MAX_BODY_BYTES_IN_FLIGHT", env: () => ({ STATUS_MAX_BODY_BYTES_IN_FLIGHT: "32MB" }) },
  { name: "SHUTDOWN_GRACE_SECONDS", env: () => ({ SHUTDOWN_GRACE_SECONDS: "-1" }) },
  { name: "ALERT_WEBHOOK_URL", env: () => ({ ALERT_WEBHOOK_URL: "ftp://hooks.example/x" }) },
  { name: "ALERT_EMAIL_TO", env: () => ({ ALERT_EMAIL_TO: "ops at example dot com" }) },
  { name: "TELEGRAM_BOT_TOKEN", env: () => ({ TELEGRAM_BOT_TOKEN: "not-a-token", TELEGRAM_CHAT_ID: "1" }) },
  {
    name: "TELEGRAM_CHAT_ID",
    env: () => ({ TELEGRAM_BOT_TOKEN: "1:abcdefghijklmnopqrstuvwxyz", TELEGRAM_CHAT_ID: "ops room" }),
  },
  { name: "TELEGRAM_API_URL", env: () => ({ TELEGRAM_API_URL: "ftp://api.example" }) },
  { name: "ALERT_COOLDOWN_SECONDS", env: () => ({ ALERT_COOLDOWN_SECONDS: "an hour" }) },
  { name: "ALERT_RETENTION_DAYS", env: () => ({ ALERT_RETENTION_DAYS: "a month" }) },
  { name: "INSTANCE_ID", env: () => ({ INSTANCE_ID: "has spaces in it" }) },
  { name: "LEASE_TTL_SECONDS", env: () => ({ LEASE_TTL_SECONDS: "1" }) },
  { name: "EMAIL_QUEUE_ENABLED", env: () => ({ EMAIL_QUEUE_ENABLED: "perhaps" }) },
  { name: "EMAIL_QUEUE_WORKERS", env: () => ({ EMAIL_QUEUE_WORKERS: "0" }) },
  { name: "EMAIL_POLL_INTERVAL_MS", env: () => ({ EMAIL_POLL_INTERVAL_MS: "1.5" }) },
  { name: "EMAIL_LEASE_SECONDS", env: () => ({ EMAIL_LEASE_SECONDS: "1" }) },
  { name: "EMAIL_RETRY_DELAYS", env: () => ({ EMAIL_RETRY_DELAYS: "1,two,4" }) },
  { name: "EMAIL_RETRY_MAX_ATTEMPTS", env: () => ({ EMAIL_RETRY_MAX_ATTEMPTS: "0" }) },
  { name: "EMAIL_RETRY_MAX_AGE", env: () => ({ EMAIL_RETRY_MAX_AGE: "a day" }) },
  { name: "EMAIL_MAX_BYTES", env: () => ({ EMAIL_MAX_BYTES: "10MB" }) },
  { name: "EMAIL_FROM", env: () => ({ EMAIL_FROM: "not an address" }) },
  { name: "EMAIL_RATE_LIMIT", env: () => ({ EMAIL_RATE_LIMIT: "-5" }) },
  { name: "EMAIL_TEMPLATES_DIR", env: (dir) => ({ EMAIL_TEMPLATES_DIR: path.join(dir, "no-such-dir") }) },
  { name: "EMAIL_RETENTION_DAYS", env: () => ({ EMAIL_RETENTION_DAYS: "forever" }) },
  { name: "EMAIL_ALERT_FAILURE_RATE", env: () => ({ EMAIL_ALERT_FAILURE_RATE: "1.5" }) },
  { name: "EMAIL_ALERT_BACKLOG_SECONDS", env: () => ({ EMAIL_ALERT_BACKLOG_SECONDS: "-1" }) },
  { name: "SMTP_HOST", env: () => ({ SMTP_HOST: "smtp://mail.example:25", EMAIL_FROM: "a@example.com" }) },
  { name: "SMTP_PORT", env: () => ({ SMTP_PORT: "70000" }) },
  { name: "SMTP_SECURE", env: () => ({ SMTP_SECURE: "tls" }) },
  { name: "SMTP_USER", env: () => ({ SMTP_USER: "mailer" }) },
  { name: "SMTP_PASSWORD", env: () => ({ SMTP_PASSWORD: "pw-without-host" }) },
  { name: "SMTP_POOL_SIZE", env: () => ({ SMTP_POOL_SIZE: "0" }) },
  { name: "SMTP_TIMEOUT_SECONDS", env: () => ({ SMTP_TIMEOUT_SECONDS: "soon" }) },
  { name: "EMAIL_SEND_THREADS", env: () => ({ EMAIL_SEND_THREADS: "many" }) },
  { name: "LIFECYCLE_SCHEDULER_ENABLED", env: () => ({ LIFECYCLE_SCHEDULER_ENABLED: "y e s" }) },
  { name: "LIFECYCLE_CHECK_INTERVAL_SECONDS", env: () => ({ LIFECYCLE_CHECK_INTERVAL_SECONDS: "0" }) },
  { name: "LIFECYCLE_NOTIFICATIONS_ENABLED", env: () => ({ LIFECYCLE_NOTIFICATIONS_ENABLED: "2" }) },
  { name: "LIFECYCLE_EXPIRED_NOTICE_DAYS", env: () => ({ LIFECYCLE_EXPIRED_NOTICE_DAYS: "-1" }) },
  { name: "VIDEO_SCHEDULER_ENABLED", env: () => ({ VIDEO_SCHEDULER_ENABLED: "nah" }) },
  { name: "VIDEO_SCHEDULER_CHECK_INTERVAL", env: () => ({ VIDEO_SCHEDULER_CHECK_INTERVAL: "5m" }) },
  { name: "VIDEO_SCHEDULER_ROTATION_INTERVAL", env: () => ({ VIDEO_SCHEDULER_ROTATION_INTERVAL: "0" }) },
  { name: "VIDEO_SCHEDULER_ARCHIVE_AFTER_HOURS", env: () => ({ VIDEO_SCHEDULER_ARCHIVE_AFTER_HOURS: "a week" }) },
  {
    name: "VIDEO_SCHEDULER_NOTIFICATIONS_ENABLED",
    env: () => ({ VIDEO_SCHEDULER_NOTIFICATIONS_ENABLED: "sometimes" }),
  },
  {
    name: "VIDEO_SCHEDULER_ROTATION_NOTICES",
    env: () => ({ VIDEO_SCHEDULER_ROTATION_NOTICES: "daily" }),
  },
  { name: "BACKUP_DATABASE_ENABLED", env: () => ({ BACKUP_DATABASE_ENABLED: "enabled" }) },
  { name: "BACKUP_DATABASE_SCHEDULE", env: () => ({ BACKUP_DATABASE_SCHEDULE: "0 25 * * *" }) },
  { name: "BACKUP_STORAGE_ENABLED", env: () => ({ BACKUP_STORAGE_ENABLED: "T" }) },
  { name: "BACKUP_STORAGE_SCHEDULE", env: () => ({ BACKUP_STORAGE_SCHEDULE: "every sunday" }) },
  { name: "BACKUP_FULL_ENABLED", env: () => ({ BACKUP_FULL_ENABLED: "+" }) },
  { name: "BACKUP_FULL_SCHEDULE", env: () => ({ BACKUP_FULL_SCHEDULE: "* * *" }) },
  { name: "BACKUP_ROTATION_ENABLED", env: () => ({ BACKUP_ROTATION_ENABLED: "nope" }) },
  { name: "BACKUP_ROTATION_SCHEDULE", env: () => ({ BACKUP_ROTATION_SCHEDULE: "61 * * * *" }) },
  {
    name: "BACKUP_DIR",
    env: (dir) => ({ STORAGE_DIR: path.join(dir, "storage"), BACKUP_DIR: path.join(dir, "storage", "backups") }),
  },
  { name: "STORAGE_DIR", env: (dir) => ({ DATA_DIR: path.join(dir, "data"), STORAGE_DIR: path.join(dir, "data") }) },
  { name: "BACKUP_TIMEZONE", env: () => ({ BACKUP_TIMEZONE: "Mars/Olympus_Mons" }) },
  { name: "BACKUP_KEEP", env: () => ({ BACKUP_KEEP: "0" }) },
  { name: "BACKUP_MISFIRE_GRACE_SECONDS", env: () => ({ BACKUP_MISFIRE_GRACE_SECONDS: "5 minutes" }) },
  { name: "BACKUP_COMPRESSION_LEVEL", env: () => ({ BACKUP_COMPRESSION_LEVEL: "10" }) },
  { name: "ALERT_DISK_FREE_PERCENT", env: () => ({ ALERT_DISK_FREE_PERCENT: "100" }) },
];

describe("bad settings stop start-up", () => {
  it("has a case for every variable Steward reads", () => {
    const covered = new Set(cases.map((c) => c.name));
    expect([...allVars().keys()].filter((name) => !covered.has(name))).toEqual([]);
  });

  it.each(cases)("$name: exit 2 with the variable named", async ({ name, env }) => {
    const dir = tempDir();
    const result = await runSteward(["start"], { env: baseEnv(env(dir)), cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${name}:`);
    // A user mistake: no stack trace.
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
