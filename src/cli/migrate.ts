import type { Command } from "commander";
import { migrate } from "../db/migrate.js";
import type { CliRuntime } from "./runtime.js";
import { configFrom, withDatabase } from "./shared.js";

export function registerMigrate(program: Command, rt: CliRuntime): void {
  program
    .command("migrate")
    .description("apply database migrations (start does this too)")
    .action(async () => {
      const config = configFrom(rt);
      const result = await withDatabase(config, (db) => migrate(db), { create: true });
      rt.stdout.write(`${config.database.display}: ${result.total} migration(s) in all, up to date\n`);
    });
}
