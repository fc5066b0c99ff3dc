import type { Command } from "commander";
import { intOption } from "../../cli/int-option.js";
import { configFrom, withDatabase, writeJsonList, writeTable } from "../../cli/shared.js";
import type { CommandContext } from "../contract.js";
import type { LifecycleSummary } from "./pass.js";
import { lifecyclePlan, type PlanEntry } from "./plan.js";

/** `steward lifecycle plan`: the notices the next N days would send, sending nothing. */
export function registerLifecycleCommands(program: Command, { rt }: CommandContext): void {
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
      const plan = await withDatabase(config, (db) => lifecyclePlan(db.sql, config.lifecycle, now, days));
      if (!plan.notificationsEnabled) {
        rt.stderr.write("note: LIFECYCLE_NOTIFICATIONS_ENABLED is false, so none of these would be sent\n");
      }
      // Written in chunks, each row made as it is written: a 30-day plan on a large database is
      // hundreds of thousands of notices.
      const json = (p: PlanEntry) => ({
        at: p.at.toISOString(),
        kind: p.kind,
        subject: `${p.subjectType}:${p.subjectId}`,
        name: p.subjectName,
        recipient: p.recipient,
        subscriptionEnd: p.subscriptionEnd.toISOString(),
      });
      if (opts.json) {
        writeJsonList(rt, { from: now.toISOString(), days }, "notices", plan.notices, json);
        return;
      }
      const when = (at: Date) => (at.getTime() === now.getTime() ? "next pass" : at.toISOString());
      writeTable(rt, ["DUE", "KIND", "SUBJECT", "RECIPIENT", "SUBSCRIPTION END"], plan.notices, (p) => [
        when(p.at),
        p.kind,
        `${p.subjectType}:${p.subjectId}`,
        p.recipient ?? "(no owner email: held back)",
        p.subscriptionEnd.toISOString(),
      ]);
      rt.stdout.write(`${plan.notices.length} notice(s) in the next ${days} day(s)\n`);
    });
}

/** `steward run lifecycle`, for a terminal. */
export function lifecycleText(s: LifecycleSummary): string {
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
