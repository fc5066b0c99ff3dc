import type { Command } from "commander";
import { SqlServiceStateStore } from "../db/coordination/service-state.js";
import type { CommandContext } from "../services/contract.js";
import { fillDemo } from "../subjects/index.js";
import { configFrom, withDatabase } from "./shared.js";

/** `steward demo`: example projects, portraits and videos for the schedulers to act on. */
export function registerDemo(program: Command, { rt, definitions }: CommandContext): void {
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
        for (const definition of definitions) if (definition.pass) await state.dueNow(definition.name, now);
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
