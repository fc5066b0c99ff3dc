import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Sqlite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeVertexArDb } from "../fixtures/vertex-ar/make-db.mjs";
import { tempDir } from "../helpers/db.js";
import { baseEnv, runSteward } from "../helpers/steward-process.js";

/**
 * The real `steward import vertex-ar` process: what it refuses (one line on stderr, a non-zero
 * exit, nothing written), and its report on a real import, which leaves the seed file as it was.
 */
describe("steward import vertex-ar (the real process)", () => {
  let dir: string;
  let env: Record<string, string>;
  let seed: string;

  beforeAll(async () => {
    dir = tempDir("steward-vertex-ar-cli-");
    env = baseEnv({ DATA_DIR: path.join(dir, "data"), LOG_LEVEL: "error" });
    seed = path.join(dir, "app.db");
    makeVertexArDb(seed);
    expect((await runSteward(["migrate"], { env, cwd: dir })).code).toBe(0);
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const importFrom = (file: string, ...extra: string[]) =>
    runSteward(["import", "vertex-ar", "--from", file, ...extra], { env, cwd: dir });

  async function expectRefused(file: string, message: RegExp): Promise<void> {
    const result = await importFrom(file);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  }

  it("refuses a file that is not a Vertex AR database, with one line", async () => {
    const other = path.join(dir, "other.db");
    const db = new Sqlite(other);
    db.exec("create table notes (id integer primary key, body text)");
    db.close();
    await expectRefused(
      other,
      /^steward: --from .*other\.db is not a Vertex AR database: it has no table email_queue$/m,
    );

    const old = path.join(dir, "old.db");
    const oldDb = new Sqlite(old);
    for (const table of ["email_queue", "clients", "portraits", "videos", "video_schedule_history"]) {
      oldDb.exec(`create table ${table} (id text primary key)`);
    }
    oldDb.close();
    await expectRefused(old, /is not a Vertex AR database: table email_queue has no column recipient_to, subject,/);

    const text = path.join(dir, "notes.txt");
    fs.writeFileSync(text, "not a database at all, just some words long enough to be read as a header\n");
    await expectRefused(text, /^steward: --from .*notes\.txt is not a SQLite database: /m);
    await expectRefused(path.join(dir, "missing.db"), /^steward: --from .*missing\.db: no such file$/m);

    // Refused before Steward's database is opened: none is created where there was none.
    const fresh = tempDir("steward-vertex-ar-fresh-");
    const refused = await runSteward(["import", "vertex-ar", "--from", other], { env: baseEnv(), cwd: fresh });
    expect(refused.code).toBe(1);
    expect(fs.readdirSync(fresh)).toEqual([]);
  });

  it("refuses Steward's own database, and a copy of a Steward database", async () => {
    const own = path.join(dir, "data", "steward.db");
    await expectRefused(
      own,
      /^steward: --from .*steward\.db is Steward's own database \(DATABASE_URL .*\), not Vertex AR's$/m,
    );
    const copy = path.join(dir, "copy.db");
    fs.copyFileSync(own, copy);
    await expectRefused(copy, /is a Steward database \(it has steward_migrations\), not Vertex AR's$/m);
  });

  it("imports, reports as text and JSON, and leaves the seed file untouched", async () => {
    const hash = () => createHash("sha256").update(fs.readFileSync(seed)).digest("hex");
    const before = hash();
    const dry = await importFrom(seed, "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^Vertex AR import from .*app\.db into .*steward\.db \(dry run: nothing written\)$/m);
    expect(dry.stdout).toMatch(/^email_queue +8 +4 +0 +4$/m);
    expect(dry.stdout).toContain('  email_queue e-bad-address: to: "not-an-address" is not an email address');
    const real = await importFrom(seed, "--json");
    expect(real.code).toBe(0);
    const report = JSON.parse(real.stdout);
    expect(report.tables.portraits).toEqual({ read: 11, imported: 10, alreadyThere: 0, skipped: 1 });
    expect(report.next[0]).toBe("3 mails pending: the email queue sends them at once");
    expect(hash()).toBe(before);
    expect(fs.existsSync(`${seed}-wal`)).toBe(false);
  });
});
