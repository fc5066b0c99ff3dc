import { Command, CommanderError } from "commander";
import { ConfigError, UserError } from "../core/errors.js";
import { stewardVersion } from "../core/project.js";
import { registerConfig } from "./config-check.js";
import { registerMigrate } from "./migrate.js";
import type { CliRuntime } from "./runtime.js";
import { startCommand } from "./start.js";
import { registerStatus } from "./status.js";

/** Command groups added by the service issues register themselves through this list. */
export type CommandGroup = (program: Command, rt: CliRuntime, setExit: (code: number) => void) => void;

export async function runCli(
  argv: readonly string[],
  rt: CliRuntime,
  groups: readonly CommandGroup[] = [],
): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = Math.max(exitCode, code);
  };
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
      setExit(await startCommand(rt));
    });
  registerStatus(program, rt, setExit);
  registerConfig(program, rt);
  registerMigrate(program, rt);
  for (const group of groups) group(program, rt, setExit);
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
