// Rewrites the configuration table in README.md (between the config markers) from the config
// schema, so the README cannot drift from what Steward reads. Run after `npm run build`.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { catalog } = await import(join(root, "dist/src/config/catalog.js"));
const rows = [];
for (const group of catalog) {
  rows.push(`| **${group.title}** | | |`);
  for (const [name, spec] of Object.entries(group.vars)) {
    const def = spec.defaultNote ?? (spec.default === undefined ? "unset" : `\`${spec.default}\``);
    rows.push(`| \`${name}\` | ${def} | ${spec.describe}${spec.secret ? " (secret: never logged)" : ""} |`);
  }
}
const table = ["| variable | default | meaning |", "|---|---|---|", ...rows].join("\n");
const file = join(root, "README.md");
const text = readFileSync(file, "utf8");
const start = "<!-- config:start -->";
const end = "<!-- config:end -->";
const before = text.slice(0, text.indexOf(start) + start.length);
const after = text.slice(text.indexOf(end));
writeFileSync(file, `${before}\n${table}\n${after}`);
console.log("README.md configuration table updated");
