import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export default function setup(): void {
  const result = spawnSync(process.execPath, [path.join(root, "scripts/build.mjs")], { stdio: "inherit" });
  if (result.status !== 0) throw new Error("build failed; end-to-end tests need dist/");
  if (!process.env.TEST_DATABASE_URL) {
    console.warn(
      "\n[steward tests] TEST_DATABASE_URL is not set: the PostgreSQL tests are skipped." +
        "\n  Set it (e.g. postgres://postgres@127.0.0.1:5432/test) to run them; .ci/run always does.\n",
    );
  }
}
