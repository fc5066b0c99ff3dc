import path from "node:path";
import { defineConfig } from "vitest/config";

// `npm run screenshots`: only the screenshot script, which the normal test run leaves out
// (it rewrites docs/images/).
export default defineConfig({
  root: path.resolve(import.meta.dirname, "../.."),
  test: {
    include: ["test/screenshots/*.shots.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
