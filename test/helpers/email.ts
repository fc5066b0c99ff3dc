import type { Clock } from "../../src/core/clock.js";
import type { Database } from "../../src/db/open.js";
import type { Sql } from "../../src/db/sql.js";
import { emailServiceDefinition } from "../../src/services/email/definition.js";
import { enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import type { EnqueueResult } from "../../src/services/email/enqueue/insert.js";
import type { EmailInput } from "../../src/services/email/enqueue/validate.js";
import type { EmailServiceOptions } from "../../src/services/email/service.js";
import { type TestApp, testApp } from "./app.js";
import type { SmtpSink } from "./smtp-sink.js";

/** An in-process host running only the email service, on `databaseUrl`, sending to `sink`. */
export function emailApp(options: {
  databaseUrl: string;
  sink?: SmtpSink;
  env?: Record<string, string>;
  clock?: Clock;
  service?: EmailServiceOptions;
  cwd?: string;
}): TestApp {
  const smtp: Record<string, string> = options.sink
    ? { SMTP_HOST: "127.0.0.1", SMTP_PORT: String(options.sink.port), EMAIL_FROM: "Steward <steward@example.test>" }
    : {};
  return testApp([emailServiceDefinition({ random: () => 0, ...options.service })], {
    clock: options.clock,
    cwd: options.cwd,
    env: { DATABASE_URL: options.databaseUrl, LOG_LEVEL: "debug", ...smtp, ...options.env },
  });
}

/** `n` plain jobs to one address, subjects s0, s1, ..., enqueued at `now` in one call. */
export function enqueueMany(sql: Sql, n: number, now: Date, extra: Partial<EmailInput> = {}): Promise<EnqueueResult[]> {
  return enqueueEmails(
    sql,
    Array.from({ length: n }, (_, i) => ({ to: "a@example.com", subject: `s${i}`, text: "x", ...extra })),
    { now },
  );
}

export async function statusCounts(db: Database): Promise<Record<string, number>> {
  const rows = await db.sql.all<{ status: string; n: unknown }>(
    "select status, count(*) as n from email_jobs group by status",
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
