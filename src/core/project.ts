import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

let cachedRoot: string | undefined;

/**
 * The package's own folder (where package.json, drizzle/ and config/templates live), found
 * by walking up from this file so it works from src/ under vitest and from dist/ at run time.
 */
export function projectRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("cannot find Steward's package.json above its source");
    dir = up;
  }
  cachedRoot = dir;
  return dir;
}

let cachedVersion: string | undefined;

export function stewardVersion(): string {
  cachedVersion ??= (
    JSON.parse(fs.readFileSync(path.join(projectRoot(), "package.json"), "utf8")) as { version: string }
  ).version;
  return cachedVersion;
}

/**
 * A worker thread's compiled file, `file` beside the module at `moduleUrl` (its import.meta.url).
 * At run time that module is compiled JavaScript and the file is beside it. Under vitest the
 * module runs from its TypeScript source, which a worker thread cannot load; the test set-up
 * builds dist/ first, so the compiled file is at the same place under dist/.
 */
export function compiledWorkerUrl(moduleUrl: string, file: string): URL {
  const here = new URL(file, moduleUrl);
  if (fs.existsSync(fileURLToPath(here))) return here;
  const relative = path.relative(projectRoot(), path.dirname(fileURLToPath(moduleUrl)));
  return pathToFileURL(path.join(projectRoot(), "dist", relative, file));
}
