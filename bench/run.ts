/**
 * `npm run bench -- <name> [args]` runs bench/<name>.ts (compiled to dist/bench). Each
 * benchmark prints its figures beside the baseline its issue names, measured in the same run.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith(".js") && f !== "run.js" && !f.startsWith("_"))
  .map((f) => f.replace(/\.js$/, ""));
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${available.join("|") || "none yet"}> [args]\n`);
  process.exit(name ? 1 : 0);
}
const module = (await import(path.join(here, `${name}.js`))) as { run(args: string[]): Promise<void> };
await module.run(args);
