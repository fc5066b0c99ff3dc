// Host tables (SQLite). Instants are integer epoch milliseconds: compared as numbers, never text.
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

const ts = (name: string) => integer(name, { mode: "timestamp_ms" });
// julianday rather than unixepoch('subsec'): host apps writing these tables may link a SQLite
// older than 3.42 (Debian 12's, Python's), where the latter does not exist.
const nowMs = sql`(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))`;

export const leases = sqliteTable("leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: ts("expires_at").notNull(),
  acquiredAt: ts("acquired_at").notNull(),
  renewedAt: ts("renewed_at").notNull(),
});

export const tickClaims = sqliteTable(
  "tick_claims",
  {
    job: text("job").notNull(),
    scheduledAt: ts("scheduled_at").notNull(),
    claimedBy: text("claimed_by").notNull(),
    claimedAt: ts("claimed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.job, t.scheduledAt] })],
);

export const serviceState = sqliteTable(
  "service_state",
  {
    service: text("service").primaryKey(),
    state: text("state").notNull(),
    lastInstance: text("last_instance"),
    lastRunAt: ts("last_run_at"),
    lastSuccessAt: ts("last_success_at"),
    lastError: text("last_error"),
    lastErrorAt: ts("last_error_at"),
    nextRunAt: ts("next_run_at"),
    runs: integer("runs").notNull().default(0),
    failures: integer("failures").notNull().default(0),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    details: text("details", { mode: "json" }),
    updatedAt: ts("updated_at").notNull().default(nowMs),
  },
  (t) => [
    check(
      "service_state_state_check",
      sql`${t.state} in ('disabled','starting','running','stopping','stopped','failed')`,
    ),
  ],
);

/**
 * Each process's own view of each service's state. service_state.state is whoever wrote
 * last; these rows, joined with live instances, give the cluster's view (failed if any is).
 */
export const serviceInstanceState = sqliteTable(
  "service_instance_state",
  {
    service: text("service").notNull(),
    instance: text("instance").notNull(),
    state: text("state").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.service, t.instance] }),
    check(
      "service_instance_state_state_check",
      sql`${t.state} in ('disabled','starting','running','stopping','stopped','failed')`,
    ),
  ],
);

export const instances = sqliteTable("instances", {
  id: text("id").primaryKey(),
  hostname: text("hostname").notNull(),
  pid: integer("pid").notNull(),
  version: text("version").notNull(),
  startedAt: ts("started_at").notNull(),
  heartbeatAt: ts("heartbeat_at").notNull(),
  stoppedAt: ts("stopped_at"),
});

/** Small persisted switches shared by every process (e.g. the email queue's pause). */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value", { mode: "json" }).notNull(),
  updatedAt: ts("updated_at").notNull().default(nowMs),
});

/**
 * Counters kept as things change, so a count costs the same at ten million rows as at ten
 * (src/db/coordination/counters.ts). SQLite has one writer, so each name has one row, shard 0.
 */
export const counters = sqliteTable(
  "counters",
  {
    name: text("name").notNull(),
    shard: integer("shard").notNull().default(0),
    n: integer("n").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.name, t.shard] })],
);

/** Alerts as they were raised, for the dashboard; kept ALERT_RETENTION_DAYS. */
export const alerts = sqliteTable(
  "alerts",
  {
    id: text("id").primaryKey(),
    key: text("key").notNull(),
    severity: text("severity").notNull(),
    message: text("message").notNull(),
    context: text("context", { mode: "json" }),
    instance: text("instance"),
    at: ts("at").notNull(),
  },
  (t) => [
    check("alerts_severity_check", sql`${t.severity} in ('info','warning','error','critical')`),
    index("alerts_at_idx").on(t.at, t.id),
  ],
);
