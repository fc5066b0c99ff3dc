import type { Command } from "commander";
import { importVertexAr, reportText } from "../adopt/vertex-ar/index.js";
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
    .option("--json", "print the report as JSON")
    .action(async (opts: { from: string; dryRun?: boolean; includeSent?: boolean; json?: boolean }) => {
      const config = configFrom(rt);
      const report = await withDatabase(
        config,
        (db) =>
          importVertexAr({
            from: opts.from,
            includeSent: opts.includeSent === true,
            dryRun: opts.dryRun === true,
            now: rt.clock.now(),
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
