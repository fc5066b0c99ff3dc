// Rewrites the configuration table in docs/configuration.md (between the config markers) from
// the config schema, so the table, its only copy, cannot drift from what Steward reads. Run
// after `npm run build`.
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
const file = join(root, "docs/configuration.md");
const text = readFileSync(file, "utf8");
const start = "<!-- config:start -->";
const end = "<!-- config:end -->";
// Both markers, in order: without them the write would silently drop the text around the table.
if (text.indexOf(start) < 0 || text.indexOf(end) < text.indexOf(start)) {
  console.error(`${file}: the ${start} and ${end} markers are missing`);
  process.exit(1);
}
const before = text.slice(0, text.indexOf(start) + start.length);
const after = text.slice(text.indexOf(end));
writeFileSync(file, `${before}\n${table}\n${after}`);
console.log("docs/configuration.md configuration table updated");
