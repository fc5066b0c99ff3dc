import type { Command } from "commander";
import { intOption } from "../../cli/int-option.js";
import type { CliRuntime } from "../../cli/runtime.js";
import { ago, cliLogger, configFrom, table, withDatabase, writeJson } from "../../cli/shared.js";
import type { Config } from "../../config/load.js";
import { UserError } from "../../core/errors.js";
import { SettingsStore } from "../../db/coordination/settings.js";
import type { Database } from "../../db/open.js";
import type { CommandContext } from "../contract.js";
import { MAX_PAGE, MAX_RETRY, parseJobFilter, parsePage, type RawFilter } from "./actions/inputs.js";
import { checkSmtp, drainDue } from "./actions/operator.js";
import { QueueActions } from "./actions/queue-actions.js";
import { parseSendOptions, type SendOptions } from "./enqueue/cli-input.js";
import { enqueueEmail } from "./enqueue/enqueue.js";
import { enqueueOptionsFor } from "./enqueue/options.js";
import { recountEmailCounters } from "./store/counts.js";
import { createEmailStore } from "./store/create.js";
import { type EmailJob, jobSummary } from "./store/job.js";
import type { EmailStore } from "./store.js";

type SetExit = (code: number) => void;
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The queue as one command has it open: the config, the database, the store and the actions the API shares. */
interface Queue {
  config: Config;
  db: Database;
  store: EmailStore;
  actions: QueueActions;
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
    return withDatabase(config, (db) => {
      const store = createEmailStore(db);
      const settings = new SettingsStore(db.sql);
      const actions = new QueueActions({ sql: db.sql, store, settings, clock: rt.clock, email: config.email });
      return fn({ config, db, store, actions });
    });
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
  addList(email, rt, queue);
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
      queue.action(async ({ actions }, opts: { json?: boolean }) => {
        const stats = await actions.stats();
        const paused = stats.paused;
        const view = { ...stats, inFlight: stats.counts.sending };
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

function addList(email: Command, rt: CliRuntime, queue: QueueAccess): void {
  email
    .command("list")
    .description("jobs newest first (pending: next to go out first; finished: last finished first); one page at a time")
    .option("--status <status>", "pending, sending, sent, failed or cancelled")
    .option("--recipient <text>", "an address in to, cc or bcc contains this (any case)")
    .option("--batch-id <id>", "jobs of this batch")
    .option("--created-from <time>", "created at or after this ISO 8601 time")
    .option("--created-to <time>", "created at or before this ISO 8601 time")
    .option("--sent-from <time>", "sent at or after this ISO 8601 time")
    .option("--sent-to <time>", "sent at or before this ISO 8601 time")
    .option("--limit <n>", `jobs per page (1-${MAX_PAGE}, default 50)`)
    .option("--cursor <cursor>", "the next page, as the previous one printed it")
    .option("--json", "print the page as JSON: {items, nextCursor}")
    .action(
      queue.action(async ({ actions }, opts: RawFilter & { limit?: string; cursor?: string; json?: boolean }) => {
        const page = await actions.list(parseJobFilter(opts), parsePage(opts.limit, opts.cursor));
        if (opts.json) return writeJson(rt, page);
        if (page.items.length === 0) return void rt.stdout.write("No job matches.\n");
        rt.stdout.write(
          table(
            ["ID", "STATUS", "TO", "SUBJECT", "ATTEMPTS", "CREATED"],
            page.items.map((j) => [
              j.id,
              j.status,
              j.to.join(",").slice(0, 40),
              j.subject.slice(0, 40),
              String(j.attempts),
              ago(j.createdAt, rt.clock.now()),
            ]),
          ),
        );
        if (page.nextCursor) rt.stdout.write(`next page: --cursor ${page.nextCursor}\n`);
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
    .option("--max <n>", "at most this many, oldest first", intOption("--max", 1, MAX_RETRY), 10)
    .option("--recipient <text>", "only jobs with an address containing this")
    .option("--batch-id <id>", "only jobs of this batch")
    .action(
      queue.action(async ({ actions }, opts: { max: number; id?: string; recipient?: string; batchId?: string }) => {
        if (opts.id !== undefined) {
          if (opts.recipient !== undefined || opts.batchId !== undefined) {
            throw new UserError("--id names one job: give it without --recipient or --batch-id");
          }
          await actions.retry(opts.id);
          return void rt.stdout.write("re-queued 1 job\n");
        }
        const filter = parseJobFilter({ recipient: opts.recipient, batchId: opts.batchId });
        const { retried } = await actions.retryFailed({ filter, max: opts.max });
        rt.stdout.write(`re-queued ${retried} job${retried === 1 ? "" : "s"}\n`);
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
      queue.action(async ({ config, db, actions }, opts: { max?: number; json?: boolean }) => {
        const logger = cliLogger(config);
        const summary = await drainDue({ db, config, clock: rt.clock, logger, actions, max: opts.max });
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
      queue.action(async ({ actions }, opts: { days?: number }) => {
        const { deleted, days } = await actions.cleanup(opts.days);
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

/** `show <id>`, `cancel <id>` and `batch <id>`: one job, or one batch, by its id. */
function addJobCommands(email: Command, rt: CliRuntime, queue: QueueAccess): void {
  const show = async (actions: QueueActions, id: string) => {
    const job = await actions.job(id);
    writeJson(rt, { ...jobSummary(job), text: job.text, html: job.html, variables: job.variables });
  };
  const cancel = async (actions: QueueActions, id: string) => {
    await actions.cancel(id);
    rt.stdout.write(`cancelled ${id}\n`);
  };
  const batch = async (actions: QueueActions, id: string) => writeJson(rt, await actions.batch(id));
  const commands = [
    ["show", "one job, bodies included, as JSON", show],
    ["cancel", "cancel a pending job", cancel],
    ["batch", "a batch's progress: jobs per status, started, finished, as JSON", batch],
  ] as const;
  for (const [name, description, run] of commands) {
    email
      .command(`${name} <id>`)
      .description(description)
      .action(queue.action(({ actions }, id: string) => run(actions, id)));
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
        queue.action(async ({ actions }) => {
          const { withinMs } = await actions.setPaused(paused);
          const within = `within ${withinMs} ms`;
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
      const check = await checkSmtp(config);
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
