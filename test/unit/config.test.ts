import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { allVars, renderEnvExample } from "../../src/config/catalog.js";
import { loadConfig, mergeDotEnv, redactedConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/core/errors.js";
import { projectRoot } from "../../src/core/project.js";
import { tempDir } from "../helpers/db.js";

const ctx = (cwd = tempDir()) => ({ cwd, isTTY: false, hostname: "box", pid: 42 });

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, ctx());
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe("config", () => {
  it("resolves the embedded defaults: SQLite under ./data, status on loopback 8787", () => {
    const cwd = tempDir();
    const { config, warnings } = loadConfig({}, ctx(cwd));
    expect(config.database.target).toEqual({ dialect: "sqlite", file: path.join(cwd, "data", "steward.db") });
    expect(config.status).toEqual({ host: "127.0.0.1", port: 8787 });
    expect(config.instanceId).toBe("box-42");
    expect(config.shutdownGraceMs).toBe(30_000);
    // Temporary refusals are retried for over a day by default, as mail servers do.
    const minute = 60_000;
    const hour = 60 * minute;
    expect(config.email.retryDelaysMs).toEqual([
      30_000,
      2 * minute,
      10 * minute,
      30 * minute,
      hour,
      2 * hour,
      4 * hour,
      8 * hour,
      8 * hour,
      8 * hour,
    ]);
    expect(config.email.maxAttempts).toBe(11);
    expect(config.email.retryDelaysMs.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(24 * hour);
    expect(config.email.maxAgeMs).toBe(0);
    expect(config.email.alertBacklogMs).toBe(900_000);
    expect(config.email.smtp).toBeUndefined();
    expect(config.backup.jobs.database).toEqual({ enabled: true, schedule: "0 2 * * *" });
    expect(config.backup.dir).toBe(path.join(cwd, "data", "backups"));
    expect(warnings).toEqual([]);
  });

  it("is frozen all the way down", () => {
    const { config } = loadConfig({}, ctx());
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.email.retryDelaysMs)).toBe(true);
    expect(() => {
      (config.status as { port: number }).port = 1;
    }).toThrow();
  });

  it("names the variable, the value and the accepted form", () => {
    expect(problems({ STATUS_PORT: "80a" })).toEqual(['STATUS_PORT: "80a" is not a port number (1-65535)']);
    expect(problems({ SMTP_SECURE: "maybe" })).toEqual(['SMTP_SECURE: "maybe" is not a boolean (true or false)']);
    expect(problems({ LOG_LEVEL: "loud" })[0]).toMatch(/^LOG_LEVEL: "loud" is not one of: fatal, error/);
  });

  it("reads retry delays and the retry age as plain seconds or with a unit", () => {
    const email = (env: Record<string, string>) => loadConfig(env, ctx()).config.email;
    expect(email({ EMAIL_RETRY_DELAYS: "1,2.5,4" }).retryDelaysMs).toEqual([1000, 2500, 4000]);
    expect(email({ EMAIL_RETRY_DELAYS: "30s, 2m,1h,1d" }).retryDelaysMs).toEqual([
      30_000, 120_000, 3_600_000, 86_400_000,
    ]);
    expect(email({ EMAIL_RETRY_MAX_AGE: "36h" }).maxAgeMs).toBe(36 * 3_600_000);
    expect(email({ EMAIL_RETRY_MAX_AGE: "2d" }).maxAgeMs).toBe(2 * 86_400_000);
    expect(email({ EMAIL_RETRY_MAX_AGE: "90" }).maxAgeMs).toBe(90_000);
    expect(problems({ EMAIL_RETRY_DELAYS: "1,2w" })).toEqual([
      'EMAIL_RETRY_DELAYS: "1,2w" is not a comma-separated list of durations (seconds, or with s, m, h or d: 30s,2m,1h)',
    ]);
    expect(problems({ EMAIL_RETRY_DELAYS: "1,,2" })).toHaveLength(1);
    expect(problems({ EMAIL_RETRY_MAX_AGE: "-1h" })).toEqual([
      'EMAIL_RETRY_MAX_AGE: "-1h" is not a duration (seconds, or with s, m, h or d: 90s, 36h, 2d)',
    ]);
    expect(problems({ EMAIL_ALERT_BACKLOG_SECONDS: "soon" })[0]).toMatch(/^EMAIL_ALERT_BACKLOG_SECONDS: "soon" is not/);
  });

  it("reports every bad variable, one line each", () => {
    expect(problems({ STATUS_PORT: "99999", EMAIL_QUEUE_WORKERS: "many" })).toHaveLength(2);
  });

  it("never echoes a secret's value", () => {
    const lines = problems({ ADMIN_TOKEN: "short" });
    expect(lines).toEqual(["ADMIN_TOKEN: (hidden) is not a token of at least 16 printable characters"]);
  });

  it("refuses a non-loopback STATUS_HOST without ADMIN_TOKEN", () => {
    expect(problems({ STATUS_HOST: "0.0.0.0" })[0]).toMatch(/^ADMIN_TOKEN: is required when STATUS_HOST/);
    expect(problems({ STATUS_HOST: "0.0.0.0", ADMIN_TOKEN: "a-long-enough-token" })).toEqual([]);
    expect(problems({ STATUS_HOST: "::1" })).toEqual([]);
  });

  it("selects PostgreSQL from postgres:// and postgresql:// and SQLite from paths and file: URLs", () => {
    const cwd = tempDir();
    const read = (url: string) => loadConfig({ DATABASE_URL: url }, ctx(cwd)).config.database.target;
    expect(read("postgres://u:p@h/db").dialect).toBe("pg");
    expect(read("postgresql://u@h/db").dialect).toBe("pg");
    expect(read("file:./x.db")).toEqual({ dialect: "sqlite", file: path.join(cwd, "x.db") });
    expect(read("y.db")).toEqual({ dialect: "sqlite", file: path.join(cwd, "y.db") });
    expect(problems({ DATABASE_URL: "mysql://h/db" })[0]).toBe(
      'DATABASE_URL: "mysql://h/db" is not a postgres:// URL, a file: URL or a path',
    );
    // The value is named, but never a password in it.
    expect(problems({ DATABASE_URL: "mysql://u:secret-pw@h/db" })[0]).toBe(
      'DATABASE_URL: "mysql://u:***@h/db" is not a postgres:// URL, a file: URL or a path',
    );
    // Even where the URL parser gives up (a `/` or `#` in the password).
    for (const url of [
      "postgre://steward:ab/cd+ef@db/steward",
      "mysql://u:p#ss@h/db",
      "x://u:a@b@h/db",
      "mysql://app:12/Secr3t@db.internal/app",
      "postgress://app:p@ss/w0rd@db/app",
    ]) {
      const [problem] = problems({ DATABASE_URL: url });
      expect(problem).toMatch(/:\*\*\*@/);
      expect(problem).not.toMatch(/ab\/cd|p#ss|a@b|Secr3t|w0rd/);
    }
  });

  it("checks a postgres URL's port, user and database at validation, never echoing its password", () => {
    expect(problems({ DATABASE_URL: "postgres://u:pw-1@h:5x32/db" })).toEqual([
      'DATABASE_URL: "postgres://u:***@h:5x32/db" has a port that is not a number (or a password holding / ? # @ that is not percent-encoded)',
    ]);
    expect(problems({ DATABASE_URL: "postgres://u@h:65536/db" })[0]).toMatch(/has a port out of range, 1-65535/);
    expect(problems({ DATABASE_URL: "postgres://h/db" })[0]).toMatch(
      /^DATABASE_URL: "postgres:\/\/h\/db" names no user/,
    );
    expect(problems({ DATABASE_URL: "postgres://u:pw-1@h:5432/" })[0]).toMatch(/names no database/);
    expect(problems({ DATABASE_URL: "postgres://h/db?user=app" })).toEqual([]);
    for (const url of [
      "postgres://app:12/Secr3t@db.internal/app",
      "postgres://u:p#ss@h/db",
      "postgres://u:pw/x@h/db",
    ]) {
      const [problem] = problems({ DATABASE_URL: url });
      expect(problem).toMatch(/^DATABASE_URL: "postgres:\/\/[^"]*:\*\*\*@/);
      expect(problem).not.toMatch(/Secr3t|p#ss|pw\/x|"pw"|\("x/);
    }
  });

  it("refuses data paths that cannot be created, naming the variable", () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, "a-file"), "x");
    expect(problems({ DATA_DIR: path.join(cwd, "a-file", "data") })[0]).toMatch(
      /^DATA_DIR: ".*" cannot be created: .*a-file is a file$/,
    );
    expect(problems({ DATABASE_URL: path.join(cwd, "a-file", "x.db") })[0]).toMatch(
      /^DATABASE_URL: ".*x\.db" cannot be created/,
    );
    expect(problems({ DATABASE_URL: cwd })[0]).toMatch(/^DATABASE_URL: ".*" is a directory/);
    expect(problems({ DATA_DIR: path.join(cwd, "new", "nested") })).toEqual([]);
  });

  it("shows a SQLite path as it is, and only a PostgreSQL URL's password as redacted", () => {
    const cwd = tempDir();
    const sqlite = loadConfig({ DATABASE_URL: "data" }, ctx(cwd)).config;
    expect(JSON.stringify(redactedConfig(sqlite))).not.toContain("***");
    const pg = loadConfig({ DATABASE_URL: "postgres://u:pw-1234567@h/db" }, ctx(cwd)).config;
    expect(redactedConfig(pg).database).toMatchObject({ url: "postgres://u:***@h/db" });
  });

  it("warns about unknown STEWARD_ variables and ignores others", () => {
    const { warnings } = loadConfig({ STEWARD_FOO: "1", UNRELATED: "x" }, ctx());
    expect(warnings).toEqual(["STEWARD_FOO is not a Steward setting and is ignored"]);
  });

  it("reads .env under the environment, which wins", () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, ".env"), "STATUS_PORT=9000\nLOG_LEVEL=debug\n");
    const env = mergeDotEnv({ STATUS_PORT: "9100" }, cwd);
    const { config } = loadConfig(env, ctx(cwd));
    expect(config.status.port).toBe(9100);
    expect(config.log.level).toBe("debug");
  });

  it("redacts every secret in the printed config", () => {
    const env = {
      DATABASE_URL: "postgres://steward:db-pass-1234@db.example/steward",
      ADMIN_TOKEN: "admin-token-abcdefgh",
      SMTP_HOST: "smtp.example",
      SMTP_USER: "mailer",
      SMTP_PASSWORD: "smtp-pass-5678",
      EMAIL_FROM: "ops@example.com",
      ALERT_WEBHOOK_URL: "https://hooks.example/T123/secret-path",
    };
    const { config } = loadConfig(env, ctx());
    const text = JSON.stringify(redactedConfig(config));
    for (const secret of ["db-pass-1234", "admin-token-abcdefgh", "smtp-pass-5678", "secret-path"]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain("***");
  });

  it("keeps config/.env.example in step with the schema", () => {
    const file = fs.readFileSync(path.join(projectRoot(), "config/.env.example"), "utf8");
    expect(file).toBe(renderEnvExample());
    for (const name of allVars().keys()) expect(file).toContain(`# ${name}=`);
  });

  it("lists every variable in the configuration table of docs/configuration.md", () => {
    const doc = fs.readFileSync(path.join(projectRoot(), "docs/configuration.md"), "utf8");
    const missing = [...allVars().keys()].filter((name) => !doc.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
