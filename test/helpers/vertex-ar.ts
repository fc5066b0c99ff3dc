import path from "node:path";
import { expect } from "vitest";
import type { ImportReport } from "../../src/adopt/vertex-ar/index.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { FIXTURE_NOW, makeVertexArDb } from "../fixtures/vertex-ar/make-db.mjs";
import { type CliResult, runCliHere } from "./cli.js";
import { type TestDb, tempDir } from "./db.js";

/** One import test's ground: Steward's database, a fresh Vertex AR file, the clock at the fixture's now. */
export interface SeedCase {
  t: TestDb;
  dir: string;
  seedFile: string;
  clock: FakeClock;
  /** `steward ...` in this process, on Steward's database and the fake clock. */
  cli(...args: string[]): Promise<CliResult>;
  /** `steward import vertex-ar --from <the file> --json ...extra`, which must succeed. */
  importJson(...extra: string[]): Promise<ImportReport>;
}

export async function seedCase(makeDb: () => Promise<TestDb>, prefix: string): Promise<SeedCase> {
  const t = await makeDb();
  const dir = tempDir(prefix);
  const seedFile = path.join(dir, "app.db");
  makeVertexArDb(seedFile);
  const clock = new FakeClock(FIXTURE_NOW);
  const cli = (...args: string[]) => runCliHere(args, { env: { DATABASE_URL: t.url, DATA_DIR: dir }, cwd: dir, clock });
  return {
    t,
    dir,
    seedFile,
    clock,
    cli,
    async importJson(...extra) {
      const result = await cli("import", "vertex-ar", "--from", seedFile, "--json", ...extra);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      return JSON.parse(result.stdout) as ImportReport;
    },
  };
}
