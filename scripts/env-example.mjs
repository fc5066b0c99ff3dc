// Rewrites config/.env.example from the config schema (run after `npm run build`).
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { renderEnvExample } = await import(join(root, "dist/src/config/catalog.js"));
writeFileSync(join(root, "config/.env.example"), renderEnvExample());
console.log("wrote config/.env.example");
