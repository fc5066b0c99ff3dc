import type { Command } from "commander";
import { redactedConfig } from "../config/load.js";
import type { CliRuntime } from "./runtime.js";
import { configFrom, writeJson } from "./shared.js";

export function registerConfig(program: Command, rt: CliRuntime): void {
  const config = program.command("config").description("inspect the configuration");
  config
    .command("check")
    .description("validate the settings and print the resolved config as JSON, secrets redacted (exit 0 or 2)")
    .action(() => {
      writeJson(rt, redactedConfig(configFrom(rt)));
    });
}
