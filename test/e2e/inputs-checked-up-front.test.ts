import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { describePg, TEST_DATABASE_URL, tempDir, withSearchPath } from "../helpers/db.js";
import { baseEnv, type RunResult, runSteward } from "../helpers/steward-process.js";

/** A user's mistake: exit `code`, one line on stderr matching `reason`, and no stack trace. */
function expectOneLine(result: RunResult, code: number, reason: RegExp): void {
  expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code, stderr: expect.stringMatching(reason) });
  expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

/**
 * Settings that passed `config check` and then broke `start` (a stack trace, a schedule
 * running every second, a backup failing days later, a hang at full CPU): refused at
 * validation, by both commands alike.
 */
const settings: Array<{ name: string; env: (dir: string) => Record<string, string>; reason: RegExp }> = [
  {
    name: "a postgres URL with a port that is not a number",
    env: () => ({ DATABASE_URL: "postgres://steward:pw@db.example:5x32/steward" }),
    reason: /^DATABASE_URL: "postgres:\/\/steward:\*\*\*@db\.example:5x32\/steward" has a port that is not a number/,
  },
  {
    name: "a postgres URL with a port out of range",
    env: () => ({ DATABASE_URL: "postgresql://steward@db.example:99999/steward" }),
    reason: /^DATABASE_URL: .* has a port out of range, 1-65535/,
  },
  {
    name: "a postgres URL with port 0",
    env: () => ({ DATABASE_URL: "postgres://steward@db.example:0/steward" }),
    reason: /^DATABASE_URL: .* has port 0/,
  },
  {
    name: "a postgres URL without a user",
    env: () => ({ DATABASE_URL: "postgres://db.example:5432/steward" }),
    reason: /^DATABASE_URL: .* names no user/,
  },
  {
    name: "a postgres URL without a database",
    env: () => ({ DATABASE_URL: "postgres://steward:pw@db.example:5432" }),
    reason: /^DATABASE_URL: .* names no database/,
  },
  {
    name: "a six-field cron schedule (seconds first: every second)",
    env: () => ({ BACKUP_DATABASE_SCHEDULE: "* * * * * *" }),
    reason: /^BACKUP_DATABASE_SCHEDULE: "\* \* \* \* \* \*" is not a five-field cron expression/,
  },
  {
    name: "a seven-field cron schedule",
    env: () => ({ BACKUP_FULL_SCHEDULE: "0 0 3 * * 0 2027" }),
    reason: /^BACKUP_FULL_SCHEDULE: .* is not a five-field cron expression/,
  },
  {
    name: "a cron schedule that never fires",
    env: () => ({ BACKUP_ROTATION_SCHEDULE: "0 0 31 2 *" }),
    reason: /^BACKUP_ROTATION_SCHEDULE: "0 0 31 2 \*" never fires/,
  },
  {
    name: "a missing STORAGE_DIR while storage backups are on",
    env: (dir) => ({ BACKUP_STORAGE_ENABLED: "true", STORAGE_DIR: path.join(dir, "no-such-storage") }),
    reason: /^STORAGE_DIR: ".*no-such-storage" does not exist \(BACKUP_STORAGE_ENABLED and BACKUP_FULL_ENABLED/,
  },
  {
    name: "DATA_DIR under /proc (Node's recursive mkdir spins there for ever)",
    env: () => ({ DATA_DIR: "/proc/steward-test/data" }),
    reason: /^DATA_DIR: "\/proc\/steward-test\/data" cannot be created: \/proc is on \/proc, a kernel file system/,
  },
  {
    name: "DATA_DIR under /sys",
    env: () => ({ DATA_DIR: "/sys/steward-test" }),
    reason: /^DATA_DIR: "\/sys\/steward-test" cannot be created: \/sys is on \/sys/,
  },
];

describe("settings checked at validation", () => {
  it.each(settings.flatMap((s) => ["config check", "start"].map((command) => [command, s.name, s] as const)))(
    "%s refuses %s: exit 2, one line naming the variable",
    async (command, _name, { env, reason }) => {
      const dir = tempDir();
      const result = await runSteward(command.split(" "), { env: baseEnv(env(dir)), cwd: dir });
      expectOneLine(result, 2, reason);
      expect(result.stdout).toBe("");
    },
  );

  it("accepts what these checks must let through", async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, "storage"));
    const env = baseEnv({
      DATABASE_URL: "postgresql://steward:p%2Fw%23@[::1]:5432/steward?sslmode=disable",
      BACKUP_STORAGE_ENABLED: "true",
      STORAGE_DIR: path.join(dir, "storage"),
      BACKUP_DATABASE_SCHEDULE: "0 0 29 2 *", // every leap day
      BACKUP_FULL_SCHEDULE: "0 3 L * *",
    });
    const result = await runSteward(["config", "check"], { env, cwd: dir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});

describe("numeric CLI options", () => {
  it.each([
    [["email", "failed", "--limit", "99999999999999999999"], /--limit "99999999999999999999" is not an integer from 1/],
    [["email", "retry", "--max", "0"], /--max "0" is not an integer from 1 to/],
    [["email", "drain", "--max", "1e3"], /--max "1e3" is not an integer/],
    [["email", "cleanup", "--days", "-3"], /--days "-3" is not an integer from 1 to/],
    [["lifecycle", "plan", "--days", "4000000"], /--days "4000000" is not an integer from 1 to 3650/],
    [
      ["email", "send", "--to", "a@example.com", "--text", "t", "--priority", "9999999999"],
      /--priority "9999999999" is not an integer from -1000000 to 1000000/,
    ],
  ])("%j exits 1 with one line", async (args, reason) => {
    const dir = tempDir();
    const result = await runSteward(args, { env: baseEnv(), cwd: dir });
    expectOneLine(result, 1, new RegExp(`^steward: ${reason.source}`));
    // Refused before a database was opened, so none was made.
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe("commands other than start and migrate on a missing database", () => {
  it.each(
    [
      ["email", "show", "0190a1b2-0000-7000-8000-000000000000"],
      ["email", "stats"],
      ["status"],
      ["backup", "list"],
      ["run", "lifecycle"],
      ["lifecycle", "plan"],
      ["demo"],
      ["compat", "vertex-ar", "enable"],
    ].map((args) => [args.join(" "), args] as const),
  )("%s exits 1 naming the path and DATA_DIR, and creates nothing", async (_title, args) => {
    const dir = tempDir();
    const dataDir = path.join(dir, "data");
    const result = await runSteward(args, { env: baseEnv(), cwd: dir });
    const file = path.join(dataDir, "steward.db");
    expectOneLine(result, 1, new RegExp(`^steward: no database at ${file} \\(DATA_DIR is ${dataDir}\\);`));
    expect(result.stderr).toMatch(/steward migrate/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("migrate creates it; then the same command answers from it", async () => {
    const dir = tempDir();
    const env = baseEnv();
    expect((await runSteward(["migrate"], { env, cwd: dir })).code).toBe(0);
    const shown = await runSteward(["email", "show", "no-such-id"], { env, cwd: dir });
    expectOneLine(shown, 1, /^steward: no such email job: no-such-id\n$/);
  });
});

describePg("commands other than start and migrate on an empty PostgreSQL schema", () => {
  it("exit 1 saying it is not migrated, and create no table", async () => {
    const schema = `t_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`create schema ${schema}`);
      const env = baseEnv({ DATABASE_URL: withSearchPath(TEST_DATABASE_URL as string, schema) });
      const result = await runSteward(["email", "show", "some-id"], { env, cwd: tempDir() });
      expectOneLine(result, 1, /^steward: postgres.* has no Steward tables: not migrated; .*steward migrate/);
      const tables = await admin.query(
        "select count(*)::int as n from information_schema.tables where table_schema = $1",
        [schema],
      );
      expect(tables.rows[0].n).toBe(0);
    } finally {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    }
  });
});
