import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { describe } from "vitest";
import { migrate, migrationsFolder } from "../../src/db/migrate.js";
import { type Database, openDatabase } from "../../src/db/open.js";

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

export interface TestDb {
  db: Database;
  /** DATABASE_URL for a spawned process to reach the same data. */
  url: string;
  /** A second, independent handle on the same data (another "process"). */
  another(): Promise<Database>;
  cleanup(): Promise<void>;
}

export function tempDir(prefix = "steward-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fresh, migrated SQLite file in a temporary directory. */
export async function sqliteTestDb(): Promise<TestDb> {
  const dir = tempDir();
  const file = path.join(dir, "steward.db");
  const handles: Database[] = [];
  const open = async () => {
    const db = openDatabase({ dialect: "sqlite", file });
    handles.push(db);
    return db;
  };
  const db = await open();
  await migrate(db);
  return {
    db,
    url: file,
    another: open,
    async cleanup() {
      for (const h of handles) await h.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh, migrated PostgreSQL schema on TEST_DATABASE_URL. Each test gets its own schema
 * (search_path in the URL), so tests run in parallel and leave nothing behind.
 */
export async function pgTestDb(): Promise<TestDb> {
  if (!TEST_DATABASE_URL) throw new Error("TEST_DATABASE_URL is not set");
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = withSearchPath(TEST_DATABASE_URL, schema);
  const handles: Database[] = [];
  const open = async () => {
    const db = openDatabase({ dialect: "pg", url }, { poolSize: 10 });
    handles.push(db);
    return db;
  };
  const db = await open();
  await migrate(db);
  return {
    db,
    url,
    another: open,
    async cleanup() {
      for (const h of handles) await h.close();
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`drop schema ${schema} cascade`);
      await client.end();
    },
  };
}

export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("options", `-c search_path=${schema}`);
  return parsed.toString();
}

export type Dialect = "sqlite" | "pg";

/**
 * Runs one suite on SQLite and on PostgreSQL. Without TEST_DATABASE_URL the PostgreSQL half
 * is skipped, and the suite's name says why (global-setup prints it too).
 */
export function describeEachDialect(
  name: string,
  body: (dialect: Dialect, makeDb: () => Promise<TestDb>) => void,
): void {
  describe(`${name} [sqlite]`, () => body("sqlite", sqliteTestDb));
  describe.skipIf(!TEST_DATABASE_URL)(
    `${name} [pg]${TEST_DATABASE_URL ? "" : " (skipped: TEST_DATABASE_URL is not set)"}`,
    () => body("pg", pgTestDb),
  );
}

/**
 * A suite that needs PostgreSQL only. Without TEST_DATABASE_URL it is skipped, and its name
 * says why; this and describeEachDialect are the only places a test is ever skipped.
 */
export function describePg(name: string, body: () => void): void {
  describe.skipIf(!TEST_DATABASE_URL)(
    `${name}${TEST_DATABASE_URL ? "" : " (skipped: TEST_DATABASE_URL is not set)"}`,
    body,
  );
}

/** A second, empty schema beside the test's, to migrate step by step. */
export async function freshPg(t: TestDb, schema: string): Promise<Database> {
  await t.db.sql.run(`create schema ${schema}`);
  const url = new URL(t.url);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return openDatabase({ dialect: "pg", url: url.toString() });
}

/**
 * A copy of the dialect's migrations in `dir` whose journal stops just before `tag`, to migrate
 * a database to there, write rows as they were, and then see the later migrations convert them;
 * `toApply` is how many migrations remain.
 */
export function migrationsBefore(dialect: Dialect, tag: string, dir: string): { folder: string; toApply: number } {
  const folder = path.join(dir, `${dialect}-before-${tag}`);
  fs.cpSync(migrationsFolder(dialect), folder, { recursive: true });
  const journalFile = path.join(folder, "meta", "_journal.json");
  const journal = JSON.parse(fs.readFileSync(journalFile, "utf8")) as { entries: Array<{ tag: string }> };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  if (at < 0) throw new Error(`no migration ${tag}`);
  const toApply = journal.entries.length - at;
  journal.entries = journal.entries.slice(0, at);
  fs.writeFileSync(journalFile, JSON.stringify(journal));
  return { folder, toApply };
}
