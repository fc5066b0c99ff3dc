import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { backupServiceDefinition } from "../../src/services/backup/definition.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { testApp } from "../helpers/app.js";
import { runCliHere } from "../helpers/cli.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";

describeEachDialect("backup gauges in /metrics", (_dialect, makeDb) => {
  let t: TestDb;
  let cwd: string;
  let app: App | undefined;
  let env: Record<string, string>;
  beforeEach(async () => {
    t = await makeDb();
    cwd = tempDir("steward-backup-metrics-");
    // The server's own jobs never fire during the test: its gauges can only come from the table.
    env = {
      DATABASE_URL: t.url,
      DATA_DIR: path.join(cwd, "data"),
      BACKUP_DATABASE_SCHEDULE: "0 2 * * *",
      BACKUP_FULL_ENABLED: "false",
      BACKUP_ROTATION_ENABLED: "false",
    };
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await t.cleanup();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  const scrape = async (server: App) => (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();

  it("show a backup taken by `steward backup run` elsewhere, read from the backups table", async () => {
    app = testApp([backupServiceDefinition], { clock: new FakeClock("2026-01-05T01:00:00Z"), cwd, env }).app;
    await app.start();
    const before = await scrape(app);
    expect(before).toContain("# TYPE steward_backup_last_bytes gauge");
    expect(before).not.toMatch(/steward_backup_last_bytes\{/);

    const run = await runCliHere(["backup", "run", "database", "--json"], { env, cwd });
    expect(run.code).toBe(0);
    const record = JSON.parse(run.stdout) as { bytes: number; finishedAt: string; durationMs: number };

    const after = await scrape(app);
    expect(after).toContain(`steward_backup_last_bytes{kind="database"} ${record.bytes}\n`);
    expect(after).toContain(
      `steward_backup_last_success_timestamp_seconds{kind="database"} ${Date.parse(record.finishedAt) / 1000}\n`,
    );
    expect(after).toContain(`steward_backup_last_duration_seconds{kind="database"} ${record.durationMs / 1000}\n`);
    expect(after).not.toMatch(/steward_backup_last_bytes\{kind="storage"\}/);
  });
});
