import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/core/errors.js";

const ctx = { cwd: "/srv/app", isTTY: false, hostname: "h", pid: 1 };

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env, ctx);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("backup settings", () => {
  it("defaults to the seed's jobs and schedules, under DATA_DIR", () => {
    const { config } = loadConfig({ EMAIL_TEMPLATES_DIR: "/" }, ctx);
    expect(config.backup).toMatchObject({
      jobs: {
        database: { enabled: true, schedule: "0 2 * * *" },
        storage: { enabled: false, schedule: "0 3 * * 0" },
        full: { enabled: true, schedule: "0 3 * * 0" },
        rotation: { enabled: true, schedule: "0 4 * * *" },
      },
      dir: path.join("/srv/app/data", "backups"),
      storageDir: path.join("/srv/app/data", "storage"),
      timezone: "UTC",
      keep: 7,
      misfireGraceMs: 300_000,
      compressionLevel: 6,
    });
  });

  it("names the variable of a bad cron expression, time zone or keep count", () => {
    expect(problems({ EMAIL_TEMPLATES_DIR: "/", BACKUP_STORAGE_SCHEDULE: "every sunday" })).toEqual([
      expect.stringMatching(
        /^BACKUP_STORAGE_SCHEDULE: "every sunday" is not a five-field cron expression .*: it has 2 fields$/,
      ),
    ]);
    expect(problems({ EMAIL_TEMPLATES_DIR: "/", BACKUP_TIMEZONE: "Mars/Olympus" })[0]).toMatch(/^BACKUP_TIMEZONE: /);
    expect(problems({ EMAIL_TEMPLATES_DIR: "/", BACKUP_KEEP: "0" })[0]).toMatch(/^BACKUP_KEEP: "0" is out of range/);
  });

  it("refuses a BACKUP_DIR inside STORAGE_DIR: a storage backup would archive its own backups", () => {
    const found = problems({ EMAIL_TEMPLATES_DIR: "/", STORAGE_DIR: "/srv/files", BACKUP_DIR: "/srv/files/backups" });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^BACKUP_DIR: "\/srv\/files\/backups" puts BACKUP_DIR .* inside STORAGE_DIR/);
  });
});
