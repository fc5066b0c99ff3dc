// Host tables (PostgreSQL). Instants are timestamptz.
import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const leases = pgTable("leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: ts("expires_at").notNull(),
  acquiredAt: ts("acquired_at").notNull(),
  renewedAt: ts("renewed_at").notNull(),
});

export const tickClaims = pgTable(
  "tick_claims",
  {
    job: text("job").notNull(),
    scheduledAt: ts("scheduled_at").notNull(),
    claimedBy: text("claimed_by").notNull(),
    claimedAt: ts("claimed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.job, t.scheduledAt] })],
);

export const serviceState = pgTable(
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
    details: jsonb("details"),
    updatedAt: ts("updated_at").notNull().defaultNow(),
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
export const serviceInstanceState = pgTable(
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

export const instances = pgTable("instances", {
  id: text("id").primaryKey(),
  hostname: text("hostname").notNull(),
  pid: integer("pid").notNull(),
  version: text("version").notNull(),
  startedAt: ts("started_at").notNull(),
  heartbeatAt: ts("heartbeat_at").notNull(),
  stoppedAt: ts("stopped_at"),
});

/** Small persisted switches shared by every process (e.g. the email queue's pause). */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/**
 * Counters kept as things change (src/db/coordination/counters.ts). Each backend adds to its
 * own shard (its pid), so concurrent transactions never wait on one hot row and never deadlock
 * on two; a periodic fold moves the shards into shard 0.
 */
export const counters = pgTable(
  "counters",
  {
    name: text("name").notNull(),
    shard: integer("shard").notNull().default(0),
    n: bigint("n", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.name, t.shard] })],
);

/** Alerts as they were raised, for the dashboard; kept ALERT_RETENTION_DAYS. */
export const alerts = pgTable(
  "alerts",
  {
    id: text("id").primaryKey(),
    key: text("key").notNull(),
    severity: text("severity").notNull(),
    message: text("message").notNull(),
    context: jsonb("context"),
    instance: text("instance"),
    at: ts("at").notNull(),
  },
  (t) => [
    check("alerts_severity_check", sql`${t.severity} in ('info','warning','error','critical')`),
    index("alerts_at_idx").on(t.at, t.id),
  ],
);
