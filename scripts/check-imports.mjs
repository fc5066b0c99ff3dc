// Checks the shape of src/'s import graph, so the layering stays as docs describe it:
//   - no import cycles (type-only imports count: a cycle of types still ties two files together);
//   - core/ imports nothing of ours outside core/ (node and npm packages are fine);
//   - the CLI, another service, or anything else reaches a service (or subjects/) only through
//     its index.ts.
// Run: node scripts/check-imports.mjs [--graph] [--src DIR]. Exits 1 naming each violation.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// --src: another tree (the script's own test gives it small trees with one fault each).
const srcArg = process.argv.indexOf("--src");
const src = srcArg > 0 ? resolve(process.argv[srcArg + 1] ?? "") : join(root, "src");

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return walk(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

// `import ... from "x"`, `export ... from "x"`, `import "x"` and `import("x")`; comments first removed.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g;

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/** Relative path from src/, with forward slashes: "services/email/enqueue.ts". */
const id = (file) => relative(src, file).split(sep).join("/");

function importsOf(file) {
  const out = new Set();
  for (const match of stripComments(readFileSync(file, "utf8")).matchAll(SPECIFIER)) {
    const spec = match[1];
    if (!spec.startsWith(".")) continue;
    const target = posix.normalize(posix.join(posix.dirname(id(file)), spec)).replace(/\.js$/, ".ts");
    out.add(target);
  }
  return [...out];
}

const files = walk(src).map(id).sort();
const graph = new Map(files.map((f) => [f, importsOf(join(src, f))]));
const problems = [];

for (const [from, targets] of graph) {
  for (const to of targets) {
    if (!graph.has(to)) problems.push(`${from}: imports ${to}, which does not exist`);
  }
}

// A folder with an index.ts (each service, subjects/) is entered only through it. The package's
// own src/index.ts is exempt: it is the public surface for host apps and imports the enqueue
// path directly, so that importing Steward does not load the whole email service.
const fenced = files.filter((f) => f.endsWith("/index.ts")).map((f) => f.slice(0, -"index.ts".length));

for (const [from, targets] of graph) {
  for (const to of targets) {
    if (from.startsWith("core/") && !to.startsWith("core/")) {
      problems.push(`${from}: core imports ${to}; core imports nothing of ours outside core/`);
    }
    if (from === "index.ts") continue;
    for (const fence of fenced) {
      if (!to.startsWith(fence) || from.startsWith(fence) || to === `${fence}index.ts`) continue;
      const who = from.startsWith("cli/") ? "the CLI" : from.startsWith("services/") ? "another service" : from;
      problems.push(`${from}: imports ${to}; ${who} reaches ${fence} only through its index.ts`);
    }
  }
}

// Cycles: Tarjan's strongly connected components; each component of more than one file is a cycle.
function components() {
  let index = 0;
  const stack = [];
  const meta = new Map();
  const found = [];
  const visit = (node) => {
    meta.set(node, { index, low: index, onStack: true });
    index += 1;
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!meta.has(next)) {
        visit(next);
        meta.get(node).low = Math.min(meta.get(node).low, meta.get(next).low);
      } else if (meta.get(next).onStack) {
        meta.get(node).low = Math.min(meta.get(node).low, meta.get(next).index);
      }
    }
    if (meta.get(node).low === meta.get(node).index) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        meta.get(member).onStack = false;
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!meta.has(node)) visit(node);
  return found;
}

for (const cycle of components()) problems.push(`import cycle: ${cycle.join(" <-> ")}`);

if (process.argv.includes("--graph")) {
  for (const [from, targets] of graph) console.log(`${from} -> ${targets.join(", ")}`);
}
const edges = [...graph.values()].reduce((n, t) => n + t.length, 0);
if (problems.length > 0) {
  for (const problem of problems) console.error(`check-imports: ${problem}`);
  console.error(`check-imports: ${problems.length} problem(s) in ${files.length} files`);
  process.exit(1);
}
console.log(
  `check-imports: ${files.length} files, ${edges} imports: no cycles, core imports only core, ` +
    `${fenced.length} folders (${fenced.join(", ")}) entered only through their index.ts`,
);
