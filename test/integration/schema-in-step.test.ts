import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/db.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const work = tempDir("steward-schema-");

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

// The schema files and the migrations must describe the same tables: drizzle-kit compares the
// schema with the last migration's snapshot, so a hand-written migration whose snapshot was not
// brought along, or snapshots of parallel branches left pointing at one parent, make the next
// `npm run db:generate` fail or write a migration that re-creates what exists. Run on a copy,
// because with a difference drizzle-kit writes one.
describe("schema files and migrations", () => {
  for (const dialect of ["sqlite", "pg"] as const) {
    it(`agree on ${dialect}: drizzle-kit generate finds nothing to do`, async () => {
      const out = path.join(work, dialect);
      fs.cpSync(path.join(root, "drizzle", dialect), out, { recursive: true });
      const { stdout, stderr } = await run(
        path.join(root, "node_modules/.bin/drizzle-kit"),
        [
          "generate",
          `--dialect=${dialect === "pg" ? "postgresql" : "sqlite"}`,
          `--schema=./src/db/schema/${dialect}/*.ts`,
          `--out=${path.relative(root, out)}`,
        ],
        { cwd: root, timeout: 60_000 },
      );
      expect(`${stdout}${stderr}`).toMatch(/No schema changes/);
      expect(fs.readdirSync(out).filter((f) => f.endsWith(".sql"))).toEqual(
        fs.readdirSync(path.join(root, "drizzle", dialect)).filter((f) => f.endsWith(".sql")),
      );
    }, 90_000);
  }
});
