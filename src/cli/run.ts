import type { Command } from "commander";
import { UserError } from "../core/errors.js";
import type { CommandContext } from "../services/contract.js";
import { configFrom, serviceContextFor, withDatabase, writeJson } from "./shared.js";

/**
 * `steward run <pass>`: one pass of a service that works in passes (those whose definition has
 * a `pass`: the lifecycle and video schedulers), run now in this process, its summary printed.
 */
export function registerRun(program: Command, cli: CommandContext): void {
  const { rt, definitions, setExit } = cli;
  const passes = definitions.filter((d) => d.pass);
  if (passes.length === 0) return;
  const names = passes.map((d) => d.name);
  program
    .command("run <pass>")
    .description(`run one ${names.join(" or ")} pass now and print its summary`)
    .option("--json", "print JSON")
    .action(async (name: string, opts: { json?: boolean }) => {
      const pass = passes.find((d) => d.name === name)?.pass;
      if (!pass) throw new UserError(`no such pass: ${name} (known: ${names.join(", ")})`);
      const config = configFrom(rt);
      const summary = await withDatabase(config, (db) => pass.run(serviceContextFor(cli, config, db)));
      if (opts.json) writeJson(rt, summary);
      else rt.stdout.write(pass.text(summary));
      if (pass.failures(summary) > 0) setExit(1);
    });
}
