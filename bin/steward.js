#!/usr/bin/env node
// The `steward` command. It runs the compiled build, which `npm ci` produces (the prepare script).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = fileURLToPath(new URL("../dist/src/main.js", import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write("steward: the build is missing; run `npm run build` (npm ci does it too)\n");
  process.exit(1);
}
await import(entry);
