#!/usr/bin/env node
// Seed-compatible entry point for the email queue (the old scripts/process_email_queue.py):
//   node scripts/process_email_queue.mjs drain|retry|stats|failed|cleanup [--max N] [--limit N] [--days N]
// It runs the matching `steward email ...` command, which validates the options the same way.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const commands = { drain: ["--max"], retry: ["--max"], stats: [], failed: ["--limit"], cleanup: ["--days"] };
const [command, ...rest] = process.argv.slice(2);
if (!command || !(command in commands)) {
  process.stderr.write(
    "usage: process_email_queue.mjs drain|retry|stats|failed|cleanup [--max N] [--limit N] [--days N]\n",
  );
  process.exit(command ? 1 : 0);
}
for (const arg of rest) {
  if (arg.startsWith("--") && !commands[command].includes(arg.split("=")[0])) {
    process.stderr.write(`process_email_queue: ${command} does not take ${arg}\n`);
    process.exit(1);
  }
}
const steward = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "steward.js");
const result = spawnSync(process.execPath, [steward, "email", command, ...rest], { stdio: "inherit" });
process.exit(result.status ?? 1);
