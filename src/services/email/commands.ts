import type { Command } from "commander";
import { intOption } from "../../cli/int-option.js";
import type { CliRuntime } from "../../cli/runtime.js";
import { ago, cliLogger, configFrom, table, withDatabase, writeJson } from "../../cli/shared.js";
import type { Config } from "../../config/load.js";
import { UserError } from "../../core/errors.js";
import { SettingsStore } from "../../db/coordination/settings.js";
import type { Database } from "../../db/open.js";
import type { CommandContext } from "../contract.js";
import { parseSendOptions, type SendOptions } from "./enqueue/cli-input.js";
import { enqueueEmail } from "./enqueue/enqueue.js";
import { enqueueOptionsFor } from "./enqueue/options.js";
import { PAUSE_KEY, setPaused } from "./pause.js";
import { drainQueue } from "./send/drain.js";
import { verifySmtp } from "./send/verify-smtp.js";
import { recountEmailCounters } from "./store/counts.js";
import { createEmailStore } from "./store/create.js";
import { type EmailJob, jobSummary } from "./store/job.js";
import type { EmailStore } from "./store.js";

type SetExit = (code: number) => void;
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The queue as one command has it open: the config, the database and the store. */
interface Queue {
  config: Config;
  db: Database;
  store: EmailStore;
}

/** Opens the queue for a command and closes it after; `action` makes a commander action of `fn`. */
interface QueueAccess {
  open(fn: (queue: Queue) => Promise<void>): Promise<void>;
  action<A extends unknown[]>(fn: (queue: Queue, ...args: A) => Promise<void>): (...args: A) => Promise<void>;
}

/** `steward email ...`: the operator's view of the queue (the seed's process_email_queue.py, done right). */
export function registerEmailCommands(program: Command, { rt, setExit }: CommandContext): void {
  const email = program.command("email").description("the email queue: send, inspect, retry, drain, pause");
  const open = (fn: (queue: Queue) => Promise<void>) => {
    const config = configFrom(rt);
    return withDatabase(config, (db) => fn({ config, db, store: createEmailStore(db) }));
  };
  const queue: QueueAccess = {
    open,
    action:
      (fn) =>
      (...args) =>
        open((q) => fn(q, ...args)),
  };
  addSend(email, rt, queue);
  addStats(email, rt, queue);
  addFailed(email, rt, queue);
  addRetry(email, rt, queue);
  addDrain(email, rt, queue, setExit);
  addCleanup(email, rt, queue);
  addRecount(email, rt, queue);
  addJobCommands(email, rt, queue);
  addPause(email, rt, queue);
  addVerifySmtp(email, rt, setExit);
}

function addSend(email: Command, rt: CliRuntime, queue: QueueAccess): void {
  email
    .command("send")
    .description("enqueue one email (validated before anything is stored)")
    .option("--to <address>", "recipient (repeat, or comma-separate)", collect)
    .option("--cc <address>", "copy recipient (repeatable)", collect)
    .option("--bcc <address>", "blind copy recipient (repeatable)", collect)
    .option("--from <address>", "sender (default EMAIL_FROM)")
    .option("--reply-to <address>", "Reply-To address")
    .option("--subject <text>", "subject (a template provides its own)")
    .option("--text <text>", "plain text body")
    .option("--html <html>", "HTML body")
    .option("--template <id>", "render config/templates/<id> instead of --text/--html")
    .option("--var <name=value>", "template variable (repeatable)", collect)
    .option("--header <name: value>", "extra header (repeatable)", collect)
    .option("--priority <n>", "lower is sent first (default 0)", intOption("--priority", -1_000_000, 1_000_000))
    .option("--send-at <time>", "not before this ISO 8601 time")
    .option("--idempotency-key <key>", "the same key again returns the job already stored")
    .option("--batch-id <id>", "groups jobs for reporting")
    .option("--json", "print the result as JSON")
    .action(async (opts: SendOptions & { json?: boolean }) => {
      const input = parseSendOptions(opts);
      await queue.open(async ({ config, db }) => {
        const result = await enqueueEmail(db.sql, input, enqueueOptionsFor(config.email, rt.clock.now()));
        if (opts.json) writeJson(rt, result);
        else rt.stdout.write(`${result.created ? "queued" : "already queued"} ${result.id} (${result.status})\n`);
      });
    });
}

function addStats(email: Command, rt: CliRuntime, queue: QueueAccess): void {
  email
    .command("stats")
    .description("jobs per status, oldest pending age, in flight, paused, sent and failed in the last minute")
    .option("--json", "print JSON")
    .action(
      queue.action(async ({ db, store }, opts: { json?: boolean }) => {
        const now = rt.clock.now();
        const stats = await store.stats(now);
        const paused = await new SettingsStore(db.sql).get<boolean>(PAUSE_KEY, false);
        const view = { ...stats, inFlight: stats.counts.sending, paused };
        if (opts.json) return writeJson(rt, view);
        const age = stats.oldestPendingAgeSeconds;
        rt.stdout.write(
          table(
            ["STATUS", "JOBS"],
            Object.entries(stats.counts).map(([status, n]) => [status, String(n)]),
          ) +
            `\noldest pending: ${age === null ? "-" : `${Math.round(age)}s`}\n` +
            `in flight:      ${view.inFlight}\npaused:         ${paused ? "yes" : "no"}\n` +
            `last minute:    ${stats.sentLastMinute} sent, ${stats.failedLastMinute} failed\n`,
        );
      }),
    );
}

function addFailed(email: Command, rt: CliRuntime, queue: QueueAccess): void {
  email
    .command("failed")
    .description("the most recently failed jobs")
    .option("--limit <n>", "how many (1-10000)", intOption("--limit", 1, 10_000), 10)
    .option("--json", "print JSON")
    .action(
      queue.action(async ({ store }, opts: { limit: number; json?: boolean }) => {
        const jobs = await store.listFailed(opts.limit);
        if (opts.json) return writeJson(rt, jobs.map(jobSummary));
        if (jobs.length === 0) return void rt.stdout.write("No failed jobs.\n");
        rt.stdout.write(failedTable(jobs, rt.clock.now()));
      }),
    );
}

function addRetry(email: Command, rt: CliRuntime, queue: QueueAccess): void {
  email
    .command("retry")
    .description("re-queue failed jobs with their attempts reset")
    .option("--id <id>", "just this job (failed or cancelled)")
    .option("--max <n>", "at most this many, oldest first", intOption("--max", 1, 1_000_000), 10)
    .action(
      queue.action(async ({ store }, opts: { max: number; id?: string }) => {
        const ids = await store.retryFailed({ max: opts.max, id: opts.id }, rt.clock.now());
        if (opts.id && ids.length === 0) {
          const job = await store.get(opts.id);
          throw new UserError(job ? `job ${opts.id} is ${job.status}, not failed` : `no such email job: ${opts.id}`);
        }
        rt.stdout.write(`re-queued ${ids.length} job${ids.length === 1 ? "" : "s"}\n`);
      }),
    );
}

function addDrain(email: Command, rt: CliRuntime, queue: QueueAccess, setExit: SetExit): void {
  email
    .command("drain")
    .description("send every due job with this process, print a summary, exit 1 if any failed or must retry")
    .option("--max <n>", "stop after this many jobs", intOption("--max", 1, 1_000_000))
    .option("--json", "print the summary as JSON")
    .action(
      queue.action(async ({ config, db }, opts: { max?: number; json?: boolean }) => {
        const max = opts.max;
        if (await new SettingsStore(db.sql).get<boolean>(PAUSE_KEY, false)) {
          throw new UserError("the email queue is paused; run `steward email resume` first");
        }
        const totals = await drainQueue({ db, config, clock: rt.clock, logger: cliLogger(config), max });
        const summary = { claimed: totals.claimed, sent: totals.sent, retrying: totals.retried, failed: totals.failed };
        if (opts.json) writeJson(rt, summary);
        else {
          rt.stdout.write(
            `drained ${summary.claimed} job(s): ${summary.sent} sent, ${summary.retrying} to retry, ${summary.failed} failed\n`,
          );
        }
        if (summary.failed + summary.retrying > 0) setExit(1);
      }),
    );
}

function addCleanup(email: Command, rt: CliRuntime, queue: QueueAccess): void {
  email
    .command("cleanup")
    .description("delete sent, failed and cancelled jobs older than --days")
    .option("--days <n>", "age in days (default EMAIL_RETENTION_DAYS, or 30)", intOption("--days", 1, 36_500))
    .action(
      queue.action(async ({ config, store }, opts: { days?: number }) => {
        const days = opts.days ?? (config.email.retentionDays || 30);
        const deleted = await store.cleanup(new Date(rt.clock.now().getTime() - days * 86_400_000));
        rt.stdout.write(`deleted ${deleted} job${deleted === 1 ? "" : "s"} older than ${days} days\n`);
      }),
    );
}

function addRecount(email: Command, rt: CliRuntime, queue: QueueAccess): void {
  email
    .command("recount")
    .description("set the queue's counters (status, stats, metrics) to what the jobs table holds")
    .option("--json", "print JSON")
    .action(
      queue.action(async ({ db }, opts: { json?: boolean }) => {
        const counts = await recountEmailCounters(db.sql, rt.clock.now());
        if (opts.json) return writeJson(rt, counts);
        rt.stdout.write(
          `recounted:\n${table(
            ["STATUS", "JOBS"],
            Object.entries(counts).map(([status, n]) => [status, String(n)]),
          )}`,
        );
      }),
    );
}

/** `show <id>` and `cancel <id>`: one job, by its id. */
function addJobCommands(email: Command, rt: CliRuntime, queue: QueueAccess): void {
  const show = async (store: EmailStore, id: string) => {
    const job = await store.get(id);
    if (!job) throw new UserError(`no such email job: ${id}`);
    writeJson(rt, { ...jobSummary(job), text: job.text, html: job.html, variables: job.variables });
  };
  const cancel = async (store: EmailStore, id: string) => {
    if (await store.cancel(id, rt.clock.now())) return void rt.stdout.write(`cancelled ${id}\n`);
    const job = await store.get(id);
    throw new UserError(
      job ? `job ${id} is ${job.status}; only pending jobs can be cancelled` : `no such email job: ${id}`,
    );
  };
  const commands = [
    ["show", "one job, bodies included, as JSON", show],
    ["cancel", "cancel a pending job", cancel],
  ] as const;
  for (const [name, description, run] of commands) {
    email
      .command(`${name} <id>`)
      .description(description)
      .action(queue.action(({ store }, id: string) => run(store, id)));
  }
}

function addPause(email: Command, rt: CliRuntime, queue: QueueAccess): void {
  for (const [name, paused] of [
    ["pause", true],
    ["resume", false],
  ] as const) {
    email
      .command(name)
      .description(paused ? "stop every process claiming jobs (persisted)" : "let every process claim jobs again")
      .action(
        queue.action(async ({ config, db }) => {
          await setPaused(new SettingsStore(db.sql), paused, rt.clock.now());
          const within = `within ${config.email.pollIntervalMs} ms`;
          rt.stdout.write(paused ? `paused: every process stops claiming ${within}\n` : `resumed ${within}\n`);
        }),
      );
  }
}

function addVerifySmtp(email: Command, rt: CliRuntime, setExit: SetExit): void {
  email
    .command("verify-smtp")
    .description("connect (and log in) to SMTP_HOST without sending; say which step failed")
    .action(async () => {
      const config = configFrom(rt);
      const smtp = config.email.smtp;
      if (!smtp) throw new UserError(`SMTP_HOST is not set: mail is written to ${config.email.outboxDir}`);
      const check = await verifySmtp(smtp);
      rt.stdout.write(`connection: ${check.connection.ok ? "ok" : "FAILED"} (${check.connection.detail})\n`);
      const login = check.login.ok === null ? "skipped" : check.login.ok ? "ok" : "FAILED";
      rt.stdout.write(`login:      ${login} (${check.login.detail})\n`);
      if (!check.connection.ok || check.login.ok === false) setExit(1);
    });
}

function failedTable(jobs: EmailJob[], now: Date): string {
  return table(
    ["ID", "TO", "SUBJECT", "ATTEMPTS", "CODE", "FAILED", "LAST ERROR"],
    jobs.map((j) => [
      j.id,
      [...j.to, ...j.cc, ...j.bcc].join(",").slice(0, 40),
      j.subject.slice(0, 40),
      String(j.attempts),
      j.lastSmtpCode === null ? "-" : String(j.lastSmtpCode),
      ago(j.updatedAt.toISOString(), now),
      (j.lastError ?? "-").slice(0, 80),
    ]),
  );
}
