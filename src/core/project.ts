import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

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
