#!/usr/bin/env node
// Takes a backup by hand, as the seed's `backup_scheduler.py` trigger did:
//   node scripts/backup-now.mjs [database|storage|full|rotation] [--json]
// (default: full). A thin wrapper over `steward backup run`; the exit code is its exit code.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const kind = args.find((a) => !a.startsWith("-")) ?? "full";
const flags = args.filter((a) => a.startsWith("-"));
const result = spawnSync(process.execPath, [join(root, "bin", "steward.js"), "backup", "run", kind, ...flags], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);
