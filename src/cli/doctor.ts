import type { Command } from "commander";
import type { CommandContext } from "../services/contract.js";
import { recountCounters } from "../services/recount.js";
import { configFrom, table, withDatabase, writeJson } from "./shared.js";

/**
 * `steward doctor recount`: for an operator who suspects a status count has drifted (a host app
 * that truncated a table, a REPLACE on SQLite without recursive triggers). Every counter every
 * service declares is counted afresh from its table, in one transaction that keeps writers out
 * meanwhile: on a table of millions that is seconds of waiting writers, once, by hand.
 */
export function registerDoctor(program: Command, { rt, definitions }: CommandContext): void {
  program
    .command("doctor")
    .description("repair tools for an operator")
    .command("recount")
    .description("recount every status counter from its table, in one transaction")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const config = configFrom(rt);
      const counted = await withDatabase(config, (db) => recountCounters(db.sql, definitions, rt.clock.now()));
      const drifted = counted.filter((c) => c.was !== c.now);
      if (opts.json) {
        writeJson(rt, { counters: counted });
        return;
      }
      rt.stdout.write(
        table(
          ["COUNTER", "WAS", "NOW"],
          counted.map((c) => [c.name, String(c.was), c.was === c.now ? String(c.now) : `${c.now} (fixed)`]),
        ),
      );
      rt.stdout.write(`${counted.length} counter(s) recounted, ${drifted.length} had drifted\n`);
    });
}
