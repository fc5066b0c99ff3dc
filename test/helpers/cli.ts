import { runCli } from "../../src/cli/program.js";
import type { CliRuntime } from "../../src/cli/runtime.js";
import { type Clock, systemClock } from "../../src/core/clock.js";
import { serviceDefinitions } from "../../src/services/registry.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one `steward` command in this process, through the same code as the real command,
 * with its own database connection: another "process" as far as the database can tell.
 */
export async function runCliHere(
  args: string[],
  options: { env: Record<string, string>; cwd: string; clock?: Clock; isTTY?: boolean; pid?: number },
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const rt: CliRuntime = {
    env: { LOG_LEVEL: "error", ...options.env },
    cwd: options.cwd,
    isTTY: options.isTTY ?? false,
    hostname: "cli-test",
    pid: options.pid ?? process.pid,
    clock: options.clock ?? systemClock,
    stdout: {
      write: (text: string) => {
        stdout += text;
        return true;
      },
    },
    stderr: {
      write: (text: string) => {
        stderr += text;
        return true;
      },
    },
    onShutdownSignal: () => {},
    exitNow: (code) => {
      throw new Error(`exitNow(${code})`);
    },
  };
  const code = await runCli(args, rt, serviceDefinitions);
  return { code, stdout, stderr };
}
