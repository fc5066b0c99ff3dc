import type { Command } from "commander";
import { migrate } from "../db/migrate.js";
import { openDatabase } from "../db/open.js";
import type { CliRuntime } from "./runtime.js";
import { configFrom } from "./shared.js";

export function registerMigrate(program: Command, rt: CliRuntime): void {
  program
    .command("migrate")
    .description("apply database migrations (start does this too)")
    .action(async () => {
      const config = configFrom(rt);
      const db = openDatabase(config.database.target, { poolSize: 1 });
      try {
        const result = await migrate(db);
        rt.stdout.write(
          `${config.database.display}: applied ${result.applied} migration(s); ${result.total} in all, up to date\n`,
        );
      } finally {
        await db.close();
      }
    });
}
