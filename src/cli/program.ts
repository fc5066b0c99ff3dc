import { Command, CommanderError } from "commander";
import { ConfigError, UserError } from "../core/errors.js";
import { stewardVersion } from "../core/project.js";
import type { CommandContext, ServiceDefinition } from "../services/contract.js";
import { registerCompat, registerImport } from "./adopt.js";
import { registerConfig } from "./config-check.js";
import { registerDemo } from "./demo.js";
import { registerDoctor } from "./doctor.js";
import { registerMigrate } from "./migrate.js";
import { registerRun } from "./run.js";
import type { CliRuntime } from "./runtime.js";
import { startCommand } from "./start.js";
import { registerStatus } from "./status.js";

/**
 * `steward ...`: the host's own commands (start, status, config, migrate, run, demo, import, compat,
 * doctor), then those
 * each service's definition adds (email, lifecycle, backup).
 */
export async function runCli(
  argv: readonly string[],
  rt: CliRuntime,
  definitions: readonly ServiceDefinition[],
): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = Math.max(exitCode, code);
  };
  const cli: CommandContext = { rt, definitions, setExit };
  const program = new Command("steward")
    .description("Steward hosts background services: email queue, lifecycle and video schedulers, backups.")
    .version(stewardVersion())
    .exitOverride()
    .configureOutput({
      writeOut: (text) => rt.stdout.write(text),
      writeErr: (text) => rt.stderr.write(text),
    })
    .showSuggestionAfterError();
  program
    .command("start")
    .description("run the supervisor and its enabled services until SIGTERM or SIGINT")
    .action(async () => {
      setExit(await startCommand(rt, definitions));
    });
  registerStatus(program, cli);
  registerConfig(program, rt);
  registerMigrate(program, rt);
  for (const definition of definitions) definition.commands?.(program, cli);
  registerRun(program, cli);
  registerDemo(program, cli);
  registerImport(program, cli);
  registerCompat(program, cli);
  registerDoctor(program, cli);
  for (const command of program.commands) command.exitOverride();

  try {
    await program.parseAsync(["node", "steward", ...argv]);
    return exitCode;
  } catch (error) {
    return report(error, rt);
  }
}

/** One line for a user's mistake; a stack only for what is a bug of ours. */
function report(error: unknown, rt: CliRuntime): number {
  if (error instanceof CommanderError) {
    // commander has printed its own one-line message (or the help/version text).
    return error.exitCode;
  }
  if (error instanceof ConfigError) {
    for (const problem of error.problems) rt.stderr.write(`${problem}\n`);
    return 2;
  }
  if (error instanceof UserError) {
    rt.stderr.write(`steward: ${error.message}\n`);
    return error.exitCode;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  rt.stderr.write(`steward: unexpected error: ${err.stack ?? err.message}\n`);
  return 1;
}
