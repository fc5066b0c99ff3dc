// Compiles src/ and bench/ to dist/ with the TypeScript compiler, then the dashboard's browser
// code (its own tsconfig: DOM, no Node) to dist/dashboard/assets with its static files beside it.
// Run by `npm ci` (prepare), `npm run build`, and before tests. In a production install
// (npm ci --omit=dev) the compiler is absent and the image ships a prebuilt dist/, so this step
// steps aside.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
if (!existsSync(tsc)) {
  console.log("build: TypeScript is not installed (production install); using the existing dist/");
  process.exit(0);
}
rmSync(join(root, "dist"), { recursive: true, force: true });
for (const config of ["tsconfig.build.json", "src/dashboard/tsconfig.json"]) {
  const result = spawnSync(process.execPath, [tsc, "-p", join(root, config)], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
const source = join(root, "src", "dashboard");
const out = join(root, "dist", "dashboard");
mkdirSync(join(out, "assets"), { recursive: true });
copyFileSync(join(source, "index.html"), join(out, "index.html"));
for (const file of ["styles.css", "favicon.svg"]) copyFileSync(join(source, file), join(out, "assets", file));
