import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LogFormat } from "../core/logger.js";
import { type DatabaseTarget, parseDatabaseUrl, postgresUrlProblem, redactDatabaseUrl } from "../db/url.js";
import { Problem, type Values, v } from "./fields.js";
import { type HttpConfig, httpVars, resolveHttp } from "./http.js";

const CHAT = "(?:-?\\d+|@[A-Za-z][A-Za-z0-9_]{4,})";
const CHAT_LIST = new RegExp(`^${CHAT}(?:\\s*,\\s*${CHAT})*$`);
const TELEGRAM_API_DEFAULT = "https://api.telegram.org";

export const hostVars = {
  DATABASE_URL: v.optionalString(
    "postgres://USER:PASSWORD@HOST:PORT/DATABASE (or postgresql://) selects PostgreSQL; a path or file: URL selects SQLite",
    // Not secret as a whole (a SQLite path is plain data): its password alone is collected
    // as a secret, and the URL is shown with the password replaced.
    { defaultNote: "SQLite file DATA_DIR/steward.db" },
  ),
  DATA_DIR: v.string("./data", "where the embedded defaults keep their files (created if missing)"),
  LOG_LEVEL: v.oneOf("info", ["fatal", "error", "warn", "info", "debug", "trace", "silent"], "pino log level"),
  LOG_FORMAT: v.oneOf<LogFormat>(undefined, ["json", "pretty"], "json or pretty", {
    defaultNote: "json (pretty on a terminal)",
  }),
  STATUS_HOST: v.string("127.0.0.1", "address the HTTP status server listens on", {
    pattern: {
      re: /^(\[?[0-9a-fA-F:.]+\]?|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/,
      form: "an IP address or host name",
    },
  }),
  STATUS_PORT: v.port(8787, "port of the HTTP status server (0 picks a free one)", true),
  ADMIN_TOKEN: v.optionalString(
    "bearer token for mutating endpoints; off loopback for all but health, and required there",
    { secret: true, pattern: { re: /^[\x21-\x7e]{16,}$/, form: "a token of at least 16 printable characters" } },
  ),
  ...httpVars,
  SHUTDOWN_GRACE_SECONDS: v.int(30, "how long in-flight work may finish after SIGTERM", 0, 3600),
  ALERT_WEBHOOK_URL: v.url("alerts are POSTed here as JSON", ["http", "https"], { secret: true }),
  ALERT_EMAIL_TO: v.optionalString("alerts are emailed here (comma-separated) through the email queue"),
  TELEGRAM_BOT_TOKEN: v.optionalString("with TELEGRAM_CHAT_ID, alerts are also sent by this Telegram bot", {
    secret: true,
    pattern: { re: /^\d+:[A-Za-z0-9_-]{20,}$/, form: "a bot token as BotFather gives it (digits:letters)" },
  }),
  TELEGRAM_CHAT_ID: v.optionalString("the chats the Telegram alerts go to: ids or @channel names, comma-separated", {
    pattern: { re: CHAT_LIST, form: "a comma-separated list of chat ids (-100123...) or @channel names" },
  }),
  TELEGRAM_API_URL: v.url("the Telegram Bot API's base URL (a local stand-in for tests)", ["http", "https"], {
    defaultNote: TELEGRAM_API_DEFAULT,
  }),
  ALERT_COOLDOWN_SECONDS: v.int(3600, "the same alert key is sent at most once per this many seconds", 0),
  ALERT_RETENTION_DAYS: v.int(30, "alerts older than this are deleted from the alerts table; 0 keeps them", 0, 36500),
  INSTANCE_ID: v.optionalString("how this process names itself in leases and status", {
    defaultNote: "hostname-pid",
    pattern: { re: /^[A-Za-z0-9._:@-]{1,128}$/, form: "1-128 letters, digits or . _ : @ -" },
  }),
  LEASE_TTL_SECONDS: v.int(30, "leader leases expire this long after their holder stops renewing", 3, 3600),
};

export interface HostConfig {
  dataDir: string;
  database: { url: string; target: DatabaseTarget; display: string };
  log: { level: string; format: LogFormat };
  status: { host: string; port: number };
  adminToken: string | undefined;
  http: HttpConfig;
  shutdownGraceMs: number;
  alerts: {
    webhookUrl: string | undefined;
    emailTo: string[];
    telegram: TelegramConfig | undefined;
    cooldownMs: number;
    retentionDays: number;
  };
  instanceId: string;
  leaseTtlMs: number;
}

export interface TelegramConfig {
  token: string;
  chatIds: string[];
  apiUrl: string;
}

export interface HostContext {
  cwd: string;
  isTTY: boolean;
  hostname: string;
  pid: number;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost", "::ffff:127.0.0.1"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Throws Problem keyed by variable for cross-field rules. */
export function resolveHost(values: Values<typeof hostVars>, ctx: HostContext): HostConfig {
  const dataDir = path.resolve(ctx.cwd, values.DATA_DIR);
  const dataProblem = creatableDirectory(dataDir);
  if (dataProblem) throw new VarProblem("DATA_DIR", values.DATA_DIR, dataProblem);
  const url = values.DATABASE_URL ?? path.join(dataDir, "steward.db");
  let target: DatabaseTarget;
  try {
    target = parseDatabaseUrl(url, ctx.cwd);
  } catch {
    // Shown with any password masked: the value given, as every other setting's error shows it.
    throw new VarProblem("DATABASE_URL", redactDatabaseUrl(url), "is not a postgres:// URL, a file: URL or a path");
  }
  if (target.dialect === "pg") {
    const problem = postgresUrlProblem(url);
    if (problem) throw new VarProblem("DATABASE_URL", redactDatabaseUrl(url), problem);
  }
  if (target.dialect === "sqlite" && values.DATABASE_URL) {
    const fileProblem = fs.existsSync(target.file)
      ? fs.statSync(target.file).isFile()
        ? null
        : "is a directory, not a database file"
      : creatableDirectory(path.dirname(target.file), target.file);
    if (fileProblem) throw new VarProblem("DATABASE_URL", url, fileProblem);
  }
  if (!isLoopback(values.STATUS_HOST) && !values.ADMIN_TOKEN) {
    throw new VarProblem(
      "ADMIN_TOKEN",
      "",
      `is required when STATUS_HOST (${values.STATUS_HOST}) is not a loopback address`,
      true,
    );
  }
  const emailTo = (values.ALERT_EMAIL_TO ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const address of emailTo) {
    if (!/^[^\s@<>,;]+@[^\s@<>,;]+$/.test(address)) {
      throw new VarProblem("ALERT_EMAIL_TO", values.ALERT_EMAIL_TO ?? "", "is not a comma-separated list of addresses");
    }
  }
  return {
    dataDir,
    database: { url, target, display: target.dialect === "sqlite" ? target.file : redactDatabaseUrl(url) },
    log: { level: values.LOG_LEVEL ?? "info", format: values.LOG_FORMAT ?? (ctx.isTTY ? "pretty" : "json") },
    status: { host: values.STATUS_HOST, port: values.STATUS_PORT },
    adminToken: values.ADMIN_TOKEN,
    http: resolveHttp(values, values.STATUS_HOST, isLoopback),
    shutdownGraceMs: values.SHUTDOWN_GRACE_SECONDS * 1000,
    alerts: {
      webhookUrl: values.ALERT_WEBHOOK_URL,
      emailTo,
      telegram: resolveTelegram(values),
      cooldownMs: values.ALERT_COOLDOWN_SECONDS * 1000,
      retentionDays: values.ALERT_RETENTION_DAYS,
    },
    instanceId: values.INSTANCE_ID ?? `${ctx.hostname || os.hostname()}-${ctx.pid}`,
    leaseTtlMs: values.LEASE_TTL_SECONDS * 1000,
  };
}

/** Both or neither: a token without a chat (or the reverse) would drop every alert silently. */
function resolveTelegram(values: Values<typeof hostVars>): TelegramConfig | undefined {
  const token = values.TELEGRAM_BOT_TOKEN;
  const chats = values.TELEGRAM_CHAT_ID;
  if (!token && !chats) return undefined;
  if (!token) throw new VarProblem("TELEGRAM_BOT_TOKEN", "", "is required when TELEGRAM_CHAT_ID is set", true);
  if (!chats) throw new VarProblem("TELEGRAM_CHAT_ID", "", "is required when TELEGRAM_BOT_TOKEN is set");
  return {
    token,
    chatIds: chats.split(",").map((s) => s.trim()),
    apiUrl: values.TELEGRAM_API_URL ?? TELEGRAM_API_DEFAULT,
  };
}

/**
 * Why `dir` cannot be used as a directory Steward creates and writes (null when it can): it,
 * or the nearest part of its path that exists, must be a writable directory on a file system
 * that holds files. Checked here because Node's recursive mkdir under /proc spins forever
 * instead of failing, and start-up would hang at full CPU.
 */
export function creatableDirectory(dir: string, reportFor = dir): string | null {
  let probe = dir;
  while (!fs.existsSync(probe)) {
    const up = path.dirname(probe);
    if (up === probe) break;
    probe = up;
  }
  const pseudo = pseudoFileSystem(probe);
  if (pseudo) return `cannot be created: ${probe} is on ${pseudo}, a kernel file system, not a disk`;
  if (!fs.statSync(probe).isDirectory()) {
    return probe === reportFor ? "is a file, not a directory" : `cannot be created: ${probe} is a file`;
  }
  try {
    fs.accessSync(probe, fs.constants.W_OK);
  } catch {
    return `cannot be written: ${probe} is not writable`;
  }
  return null;
}

// statfs f_type of Linux's kernel file systems: proc, sysfs, cgroup, cgroup2, debugfs, tracefs,
// securityfs, bpf, nsfs, configfs. Root passes the access() check on them, so it proves nothing.
const PSEUDO_MAGIC = new Set([
  0x9fa0, 0x62656572, 0x27e0eb, 0x63677270, 0x64626720, 0x74726163, 0x73636673, 0xcafe4a11, 0x6e736673, 0x62656570,
]);

/** The kernel file system `existing` lies on, when it is one (null for ordinary ones). */
function pseudoFileSystem(existing: string): string | null {
  if (process.platform !== "linux") return null;
  const resolved = safeRealpath(existing);
  for (const root of ["/proc", "/sys"]) {
    if (resolved === root || resolved.startsWith(`${root}/`)) return root;
  }
  try {
    const { type } = fs.statfsSync(resolved);
    return PSEUDO_MAGIC.has(type) ? `statfs type 0x${type.toString(16)}` : null;
  } catch {
    return null;
  }
}

function safeRealpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** A problem found after reading, naming its variable (cross-field rules). */
export class VarProblem extends Problem {
  constructor(
    readonly variable: string,
    readonly value: string,
    message: string,
    readonly hideValue = false,
  ) {
    super(message);
  }
}
