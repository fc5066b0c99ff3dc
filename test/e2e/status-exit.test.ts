import path from "node:path";
import { describe, expect, it } from "vitest";
import { SqlServiceStateStore } from "../../src/db/coordination/service-state.js";
import { migrate } from "../../src/db/migrate.js";
import { openDatabase } from "../../src/db/open.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { intervalDefinition, probe } from "../fakes/test-services.js";
import { testApp } from "../helpers/app.js";
import { tempDir } from "../helpers/db.js";
import { baseEnv, runSteward } from "../helpers/steward-process.js";
import { waitFor } from "../helpers/wait.js";

describe("steward status exit code", () => {
  it("reports a service that really failed (and awaits its restart) as failed, exit 1", async () => {
    const cwd = tempDir();
    const clock = new FakeClock();
    const p = probe();
    p.failNext = 1;
    // A service named like a real one, so the CLI (which knows the real registry) lists it.
    const t = testApp([intervalDefinition("lifecycle", p)], { clock, cwd });
    await t.app.start();
    try {
      // The supervisor persists `failed` after the service's own stop has written `stopped`.
      const store = new SqlServiceStateStore(t.app.db.sql);
      await waitFor(async () => (await store.load("lifecycle"))?.state === "failed", { what: "`failed` persisted" });
      expect(t.app.supervisor.statusOf("lifecycle")?.state).toBe("failed");
      const result = await runSteward(["status", "lifecycle"], { env: baseEnv({ STATUS_PORT: "1" }), cwd });
      expect(result.stdout).toMatch(/lifecycle\s+failed/);
      expect(result.code).toBe(1);
    } finally {
      await t.app.stop();
    }
  });

  it("exits 1 when a named or any enabled service is failed, 0 otherwise, for shell scripts and cron", async () => {
    const cwd = tempDir();
    const db = openDatabase({ dialect: "sqlite", file: path.join(cwd, "data", "steward.db") });
    await migrate(db);
    const store = new SqlServiceStateStore(db.sql);
    const at = new Date();
    await store.setState("video", "running", "elsewhere", at);
    await store.setState("lifecycle", "failed", "elsewhere", at);
    await store.recordRun("lifecycle", {
      state: "failed",
      instance: "elsewhere",
      at,
      error: new Error("database went away"),
      nextRunAt: null,
      details: null,
    });
    await db.close();
    // No process answers on this port: status reads the persisted state.
    const env = baseEnv({ STATUS_PORT: "1" });

    const all = await runSteward(["status"], { env, cwd });
    expect(all.code).toBe(1);
    expect(all.stdout).toMatch(/lifecycle\s+failed/);
    expect(all.stdout).toContain("database went away");
    expect((await runSteward(["status", "lifecycle", "--json"], { env, cwd })).code).toBe(1);
    expect((await runSteward(["status", "video"], { env, cwd })).code).toBe(0);

    // A failed service that is switched off here does not fail the check.
    const off = await runSteward(["status"], { env: { ...env, LIFECYCLE_SCHEDULER_ENABLED: "false" }, cwd });
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/lifecycle\s+disabled/);
  });
});
