import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The project's root, from bench/ as compiled (dist/bench, what `npm run bench` runs) or as
 * source (bench/, what a test imports): the benches spawn the real `bin/steward.js` from it.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
export const projectRoot =
  path.basename(path.dirname(here)) === "dist" ? path.resolve(here, "../..") : path.resolve(here, "..");

export const stewardBin = path.join(projectRoot, "bin/steward.js");
