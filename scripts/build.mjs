// Compiles src/ and bench/ to dist/ with the TypeScript compiler. Run by `npm ci` (prepare),
// `npm run build`, and before tests. In a production install (npm ci --omit=dev) the compiler
// is absent and the image ships a prebuilt dist/, so this step steps aside.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
if (!existsSync(tsc)) {
  console.log("build: TypeScript is not installed (production install); using the existing dist/");
  process.exit(0);
}
rmSync(join(root, "dist"), { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
process.exit(result.status ?? 1);
