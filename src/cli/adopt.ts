import type { Command } from "commander";
import { disableCompat, enableCompat, importVertexAr, readVertexAr, reportText } from "../adopt/vertex-ar/index.js";
import { UserError } from "../core/errors.js";
import type { CommandContext } from "../services/contract.js";
import { configFrom, withDatabase, writeJson } from "./shared.js";

/** `steward import vertex-ar`: a Vertex AR database into Steward's tables. */
export function registerImport(program: Command, { rt }: CommandContext): void {
  const group = program.command("import").description("bring another system's data into Steward");
  group
    .command("vertex-ar")
    .description(
      "import a Vertex AR SQLite database (opened read-only): mail, portraits, videos, notices sent; one transaction",
    )
    .requiredOption("--from <file>", "the Vertex AR database file (its app.db)")
    .option("--dry-run", "report what would be imported, and write nothing")
    .option("--include-sent", "bring mail Vertex AR already sent in as history")
    .option(
      "--sync",
      "also carry the app's changes to rows already imported (subscription end, owner email, title; video schedules)",
    )
    .option("--json", "print the report as JSON")
    .action(async (opts: { from: string; dryRun?: boolean; includeSent?: boolean; sync?: boolean; json?: boolean }) => {
      const config = configFrom(rt);
      const now = rt.clock.now();
      // The seed is checked before Steward's database is opened, so a refused file creates none.
      const sync = opts.sync === true;
      const plan = readVertexAr({ from: opts.from, includeSent: opts.includeSent === true, sync, now, config });
      const report = await withDatabase(
        config,
        (db) =>
          importVertexAr({
            from: opts.from,
            plan,
            dryRun: opts.dryRun === true,
            sync,
            now,
            config,
            db,
          }),
        // Importing into a new Steward is the first thing a team switching over does.
        { create: true },
      );
      if (opts.json) writeJson(rt, report);
      else rt.stdout.write(reportText(report));
    });
}

const COMPAT_SAID = {
  enabled: "enabled: email_queue is a view over Steward's email_jobs in",
  "re-enabled": "re-enabled: email_queue recreated as a view over Steward's email_jobs in",
  disabled: "disabled: the email_queue view and its triggers are gone from",
  "not enabled": "not enabled: no email_queue view in",
} as const;

/** `steward compat vertex-ar enable|disable`: Vertex AR's email_queue, kept writable as a view. */
export function registerCompat(program: Command, { rt }: CommandContext): void {
  const group = program.command("compat").description("let another system's app keep writing as it did");
  group
    .command("vertex-ar <action>")
    .description(
      "enable: a view named email_queue whose inserts become validated Steward jobs; disable: remove it (jobs stay)",
    )
    .action(async (action: string) => {
      if (action !== "enable" && action !== "disable") {
        throw new UserError(`compat vertex-ar takes enable or disable, not "${action}"`);
      }
      const config = configFrom(rt);
      const result = await withDatabase(config, (db) => (action === "enable" ? enableCompat(db) : disableCompat(db)));
      rt.stdout.write(`${COMPAT_SAID[result.action]} ${result.database}\n`);
    });
}
