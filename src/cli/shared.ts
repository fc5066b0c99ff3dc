import fs from "node:fs";
import { createAlerter } from "../alerting/create.js";
import { type Config, loadConfig } from "../config/load.js";
import { UserError } from "../core/errors.js";
import { EventHub } from "../core/events.js";
import { createLogger, type Logger } from "../core/logger.js";
import { createMetrics } from "../core/metrics.js";
import { WakeHub } from "../core/wake.js";
import { isMigrated, migrate } from "../db/migrate.js";
import { type Database, openDatabase } from "../db/open.js";
import { createServiceContext } from "../services/context.js";
import type { CommandContext, HostEvents, ServiceContext } from "../services/contract.js";
import type { CliRuntime } from "./runtime.js";

/** Validates the config; a ConfigError reaches runCli, which prints it and exits 2. */
export function configFrom(rt: CliRuntime): Config {
  const { config, warnings } = loadConfig(rt.env, rt);
  for (const warning of warnings) rt.stderr.write(`warning: ${warning}\n`);
  return config;
}

/** A logger for commands other than start: to stderr, so stdout stays data. */
export function cliLogger(config: Config): Logger {
  return createLogger({
    level: config.log.level === "info" ? "warn" : config.log.level,
    format: config.log.format,
    secrets: config.secrets,
    fd: 2,
  });
}

/**
 * What a service is given, built for one command instead of by the supervisor: its alerts go
 * to the log, the webhook and ALERT_EMAIL_TO, as the running service's would.
 */
export function serviceContextFor(cli: CommandContext, config: Config, db: Database): ServiceContext {
  const { rt, definitions } = cli;
  const logger = cliLogger(config);
  // No workers run in a command's process: the hub has no listener, and the jobs a command
  // queues are found by the running processes through NOTIFY or their poll.
  const wake = new WakeHub();
  return createServiceContext({
    config,
    db,
    clock: rt.clock,
    logger,
    alerter: createAlerter({ config, logger, clock: rt.clock, sql: db.sql, wake, definitions }),
    metrics: createMetrics({ processMetrics: false }),
    wake,
    events: new EventHub<HostEvents>(),
    hostname: rt.hostname,
    pid: rt.pid,
  });
}

/**
 * Opens the database, migrates it (idempotent), runs `fn`, always closes. Only `create`
 * (start and migrate) may make a new database: any other command run in the wrong directory
 * would quietly make an empty one there and answer from it ("no such email job").
 */
export async function withDatabase<T>(
  config: Config,
  fn: (db: Database) => Promise<T>,
  options: { create?: boolean } = {},
): Promise<T> {
  const target = config.database.target;
  if (!options.create && target.dialect === "sqlite" && !fs.existsSync(target.file)) {
    throw new UserError(`no database at ${target.file} (DATA_DIR is ${config.dataDir}); ${CREATE_HINT}`);
  }
  const db = openDatabase(target, { poolSize: 4 });
  try {
    try {
      if (!options.create && !(await isMigrated(db))) {
        throw new UserError(`${config.database.display} has no Steward tables: not migrated; ${CREATE_HINT}`);
      }
      await migrate(db);
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(`cannot open the database at ${config.database.display}: ${(error as Error).message}`);
    }
    return await fn(db);
  } finally {
    await db.close();
  }
}

const CREATE_HINT =
  "run this where Steward runs (or set DATA_DIR or DATABASE_URL), or create it with `steward migrate`";

export function writeJson(rt: CliRuntime, value: unknown): void {
  rt.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Output written a chunk of lines at a time, so a listing of a million rows is never one string
 * of hundreds of megabytes, and each row's text exists only while its chunk is written.
 */
const CHUNK = 1_000;

/** A plain text table: the header row, then one row per item, columns padded. */
export function table(headers: string[], rows: string[][]): string {
  const widths = columnWidths(headers, rows, (r) => r);
  return `${[headers, ...rows].map((cells) => tableLine(cells, widths)).join("\n")}\n`;
}

/** table(), written in chunks, each item's cells made when its line is written. */
export function writeTable<T>(
  rt: CliRuntime,
  headers: string[],
  items: readonly T[],
  cells: (item: T) => string[],
): void {
  const widths = columnWidths(headers, items, cells);
  rt.stdout.write(`${tableLine(headers, widths)}\n`);
  for (let i = 0; i < items.length; i += CHUNK) {
    let text = "";
    for (const item of items.slice(i, i + CHUNK)) text += `${tableLine(cells(item), widths)}\n`;
    rt.stdout.write(text);
  }
}

/**
 * `{...head, [key]: items}` as JSON, written in chunks. JSON.parse reads it as it reads
 * writeJson's; the items are one per line rather than indented.
 */
export function writeJsonList<T>(
  rt: CliRuntime,
  head: Record<string, unknown>,
  key: string,
  items: readonly T[],
  json: (item: T) => unknown,
): void {
  const open = JSON.stringify({ ...head, [key]: [] }, null, 2).replace(/\[\]\n\}$/, "[");
  rt.stdout.write(open);
  for (let i = 0; i < items.length; i += CHUNK) {
    const lines = items.slice(i, i + CHUNK).map((item) => `\n    ${JSON.stringify(json(item))}`);
    rt.stdout.write((i === 0 ? "" : ",") + lines.join(","));
  }
  rt.stdout.write(items.length > 0 ? "\n  ]\n}\n" : "]\n}\n");
}

/**
 * Widths by a loop: `Math.max(...rows.map(...))` passes one argument per row and overflows the
 * stack past about 150,000 rows (`lifecycle plan --days 30` on a large database did).
 */
function columnWidths<T>(headers: string[], items: readonly T[], cells: (item: T) => string[]): number[] {
  const widths = headers.map((h) => h.length);
  for (const item of items) {
    const row = cells(item);
    for (let i = 0; i < widths.length; i += 1) widths[i] = Math.max(widths[i] ?? 0, (row[i] ?? "").length);
  }
  return widths;
}

function tableLine(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => c.padEnd(widths[i] ?? 0))
    .join("  ")
    .trimEnd();
}

/** "3m ago", "in 2h": short relative times for tables. */
export function ago(iso: string | null, now: Date): string {
  if (!iso) return "-";
  const ms = now.getTime() - new Date(iso).getTime();
  const abs = Math.abs(ms);
  const unit =
    abs < 60_000
      ? `${Math.round(abs / 1000)}s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)}m`
        : abs < 86_400_000
          ? `${Math.round(abs / 3_600_000)}h`
          : `${Math.round(abs / 86_400_000)}d`;
  return ms >= 0 ? `${unit} ago` : `in ${unit}`;
}
