import type { Command } from "commander";
import { createAlerter } from "../alerting/create.js";
import type { Config } from "../config/load.js";
import { UserError } from "../core/errors.js";
import { createMetrics } from "../core/metrics.js";
import { LeaseStore } from "../db/coordination/leases.js";
import { SqlServiceStateStore } from "../db/coordination/service-state.js";
import { SettingsStore } from "../db/coordination/settings.js";
import { TickClaimStore } from "../db/coordination/tick-claims.js";
import type { Database } from "../db/open.js";
import type { ServiceContext } from "../services/contract.js";
import type { LifecycleSummary } from "../services/lifecycle/pass.js";
import { planNotices } from "../services/lifecycle/plan.js";
import { DAY_MS } from "../services/lifecycle/rules.js";
import { createLifecycleService } from "../services/lifecycle/service.js";
import { fillDemo } from "../services/subjects/demo.js";
import type { VideoSummary } from "../services/video/pass.js";
import { createVideoService } from "../services/video/service.js";
import { intOption } from "./int-option.js";
import type { CliRuntime } from "./runtime.js";
import { cliLogger, configFrom, table, withDatabase, writeJson } from "./shared.js";

const PASSES = ["lifecycle", "video"] as const;
type PassName = (typeof PASSES)[number];

/** `run lifecycle|video`, `lifecycle plan`, and `demo`. */
export function registerSchedulers(program: Command, rt: CliRuntime, setExit: (code: number) => void): void {
  registerRun(program, rt, setExit);
  registerPlan(program, rt);
  registerDemo(program, rt);
}

function registerRun(program: Command, rt: CliRuntime, setExit: (code: number) => void): void {
  program
    .command("run <pass>")
    .description("run one lifecycle or video pass now and print its summary")
    .option("--json", "print JSON")
    .action(async (pass: string, opts: { json?: boolean }) => {
      if (!PASSES.includes(pass as PassName)) {
        throw new UserError(`no such pass: ${pass} (known: ${PASSES.join(", ")})`);
      }
      const config = configFrom(rt);
      const summary = await withDatabase(config, (db) => runPass(pass as PassName, serviceContext(rt, config, db)));
      if (opts.json) writeJson(rt, summary);
      else {
        rt.stdout.write(
          pass === "lifecycle" ? lifecycleText(summary as LifecycleSummary) : videoText(summary as VideoSummary),
        );
      }
      const failed = "failed" in summary ? summary.failed : (summary as VideoSummary).failedPortraits;
      if (Number(failed) > 0) setExit(1);
    });
}

function registerPlan(program: Command, rt: CliRuntime): void {
  program
    .command("lifecycle")
    .description("lifecycle scheduler tools")
    .command("plan")
    .description("list the notices that would go out in the next N days, sending nothing")
    .option("--days <n>", "how many days ahead (1-3650)", intOption("--days", 1, 3650), 7)
    .option("--json", "print JSON")
    .action(async (opts: { days: number; json?: boolean }) => {
      const days = opts.days;
      const config = configFrom(rt);
      const now = rt.clock.now();
      const plan = await withDatabase(config, (db) =>
        planNotices(db.sql, now, days * DAY_MS, config.lifecycle.expiredNoticeDays),
      );
      if (!config.lifecycle.notificationsEnabled) {
        rt.stderr.write("note: LIFECYCLE_NOTIFICATIONS_ENABLED is false, so none of these would be sent\n");
      }
      const rows = plan.map((p) => ({
        at: p.at.toISOString(),
        kind: p.kind,
        subject: `${p.subjectType}:${p.subjectId}`,
        name: p.subjectName,
        recipient: p.recipient,
        subscriptionEnd: p.subscriptionEnd.toISOString(),
      }));
      if (opts.json) {
        writeJson(rt, { from: now.toISOString(), days, notices: rows });
        return;
      }
      const when = (at: string) => (at === now.toISOString() ? "next pass" : at);
      rt.stdout.write(
        table(
          ["DUE", "KIND", "SUBJECT", "RECIPIENT", "SUBSCRIPTION END"],
          rows.map((r) => [
            when(r.at),
            r.kind,
            r.subject,
            r.recipient ?? "(no owner email: held back)",
            r.subscriptionEnd,
          ]),
        ),
      );
      rt.stdout.write(`${rows.length} notice(s) in the next ${days} day(s)\n`);
    });
}

function registerDemo(program: Command, rt: CliRuntime): void {
  program
    .command("demo")
    .description("fill an empty database with example projects, portraits and videos for both schedulers")
    .action(async () => {
      const config = configFrom(rt);
      const now = rt.clock.now();
      const result = await withDatabase(config, async (db) => {
        const filled = await fillDemo(db.sql, now);
        // A running Steward (or the next start) acts on the example at once, not an interval
        // after its last pass.
        const state = new SqlServiceStateStore(db.sql);
        for (const pass of PASSES) await state.dueNow(pass, now);
        return filled;
      });
      rt.stdout.write(
        `Added ${result.projects} projects, ${result.portraits} portraits and ${result.videos} videos to ` +
          `${config.database.display}.\n` +
          "A running Steward picks it up within LEASE_TTL_SECONDS/3; or start one (npx steward start),\n" +
          "or run one pass of each now:\n" +
          "  npx steward run lifecycle    # statuses change; 7-day, 24-hour and expired notices are queued\n" +
          "  npx steward run video        # overlapping windows resolve, an old video is archived\n" +
          "  npx steward lifecycle plan --days 7\n" +
          "To watch rotation: VIDEO_SCHEDULER_CHECK_INTERVAL=10 VIDEO_SCHEDULER_ROTATION_INTERVAL=30 npx steward start\n",
      );
    });
}

async function runPass(pass: PassName, ctx: ServiceContext): Promise<LifecycleSummary | VideoSummary> {
  // Safe beside a running leader: every write is conditional and transactional, so a pass
  // from here and one from the leader cannot double a notice or a change.
  return pass === "lifecycle" ? createLifecycleService(ctx).runNow() : createVideoService(ctx).runNow();
}

/** What a service is given, built for one command instead of by the supervisor. */
function serviceContext(rt: CliRuntime, config: Config, db: Database): ServiceContext {
  const logger = cliLogger(config);
  return {
    config,
    db,
    clock: rt.clock,
    logger,
    alerter: createAlerter({ config, logger, clock: rt.clock, sql: db.sql, definitions: rt.definitions }),
    metrics: createMetrics({ processMetrics: false }),
    instanceId: config.instanceId,
    hostname: rt.hostname,
    pid: rt.pid,
    stores: {
      leases: new LeaseStore(db.sql),
      ticks: new TickClaimStore(db.sql),
      state: new SqlServiceStateStore(db.sql),
      settings: new SettingsStore(db.sql),
    },
    reportCrash: () => {},
  };
}

function lifecycleText(s: LifecycleSummary): string {
  const statuses = (label: string, c: Record<string, number>) =>
    `${label}: ${c.active} to active, ${c.expiring} to expiring, ${c.archived} to archived`;
  return [
    `lifecycle pass at ${s.at} (${s.durationMs} ms)`,
    `  ${statuses("projects", s.statusChanges.project)}`,
    `  ${statuses("portraits", s.statusChanges.portrait)}`,
    `  notices queued: 7day ${s.notices["7day"]}, 24hour ${s.notices["24hour"]}, expired ${s.notices.expired}`,
    ...(s.withoutRecipient ? [`  ${s.withoutRecipient} due but held back: no owner email`] : []),
    ...(s.failed ? [`  ${s.failed} could not be queued (see the log); retried next pass`] : []),
    "",
  ].join("\n");
}

function videoText(s: VideoSummary): string {
  const c = s.changes;
  return [
    `video pass at ${s.at} (${s.durationMs} ms) over ${s.portraits} portrait(s)`,
    `  changes: ${c.schedule_activation} shown by schedule, ${c.schedule_deactivation} hidden by schedule, ` +
      `${c.rotation} rotation, ${c.archive} archived`,
    `  notices queued: ${s.notices}${s.noticeFailures ? ` (${s.noticeFailures} refused by the queue)` : ""}`,
    ...(s.failedPortraits ? [`  ${s.failedPortraits} portrait(s) not written (see the log)`] : []),
    "",
  ].join("\n");
}
