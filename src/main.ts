#!/usr/bin/env node
/**
 * The entry point: the only file that reads process.env and installs signal handlers. It
 * hands the real environment, output streams and clock to the CLI; `steward start` then
 * assembles the host (src/app.ts).
 */
import os from "node:os";
import { runCli } from "./cli/program.js";
import { mergeDotEnv } from "./config/load.js";
import { systemClock } from "./core/clock.js";
import { serviceDefinitions } from "./services/registry.js";

const cwd = process.cwd();
const code = await runCli(
  process.argv.slice(2),
  {
    env: mergeDotEnv(process.env, cwd),
    cwd,
    isTTY: Boolean(process.stdout.isTTY),
    hostname: os.hostname(),
    pid: process.pid,
    clock: systemClock,
    stdout: process.stdout,
    stderr: process.stderr,
    onShutdownSignal(handler) {
      process.on("SIGTERM", () => handler("SIGTERM"));
      process.on("SIGINT", () => handler("SIGINT"));
    },
    exitNow(exitCode) {
      process.exit(exitCode);
    },
  },
  serviceDefinitions,
);
// Exit explicitly: a command is done when it returns, whatever handles a library left open.
process.exit(code);
