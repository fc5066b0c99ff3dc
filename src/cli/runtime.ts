import type { Env } from "../config/load.js";
import type { Clock } from "../core/clock.js";

/** What the CLI is given by main.ts: the environment, output, and the real adapters. */
export interface CliRuntime {
  env: Env;
  cwd: string;
  isTTY: boolean;
  hostname: string;
  pid: number;
  clock: Clock;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Registers the shutdown handler for SIGTERM and SIGINT (main.ts owns the signals). */
  onShutdownSignal(handler: (signal: string) => void): void;
  /** Exits at once (a second shutdown signal). */
  exitNow(code: number): never;
}
