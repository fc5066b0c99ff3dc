import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { lockKey } from "../../src/db/migrate.js";
import { describePg, pgTestDb, TEST_DATABASE_URL, type TestDb, tempDir } from "../helpers/db.js";
import { baseEnv, isStartedLine, runSteward, StewardProcess } from "../helpers/steward-process.js";

let running: StewardProcess[] = [];
afterEach(async () => {
  await Promise.all(running.map((p) => p.stop(2_000)));
  running = [];
});

function start(env: Record<string, string>, cwd = tempDir()): StewardProcess {
  const proc = new StewardProcess({ env: baseEnv(env), cwd });
  running.push(proc);
  return proc;
}

describe("steward start (SQLite, embedded defaults)", () => {
  it("answers /status, /status/<name>, /healthz, /readyz and /metrics, then exits 0 on SIGTERM", async () => {
    const cwd = tempDir();
    const proc = start({}, cwd);
    const port = await proc.ready();
    expect(fs.existsSync(path.join(cwd, "data", "steward.db"))).toBe(true);

    const status = await proc.get(port, "/status");
    expect(status.status).toBe(200);
    const body = status.body as { version: string; instance: { pid: number }; services: Record<string, unknown> };
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.instance.pid).toBe(proc.child.pid);
    for (const [name, service] of Object.entries(body.services)) {
      const one = await proc.get(port, `/status/${name}`);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ name, enabled: (service as { enabled: boolean }).enabled });
    }
    const missing = await proc.get(port, "/status/no-such-service");
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: "no such service: no-such-service" });
    expect((await proc.get(port, "/healthz")).status).toBe(200);
    expect((await proc.get(port, "/readyz")).status).toBe(200);
    const metrics = await proc.get(port, "/metrics");
    expect(metrics.text).toContain("steward_service_runs_total");
    expect(metrics.text).toContain("steward_process_resident_memory_bytes");
    // From core/loop-delay.ts, in place of prom-client's own sampler: the same names.
    expect(metrics.text).toContain("steward_nodejs_eventloop_lag_p99_seconds");

    const exit = await proc.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(proc.lines.some((l) => l.msg === "steward stopped")).toBe(true);
  });

  it("reads the state persisted in the database when no process answers, and says so", async () => {
    const cwd = tempDir();
    const proc = start({}, cwd);
    await proc.ready();
    await proc.stop();
    const result = await runSteward(["status"], { env: baseEnv({ STATUS_PORT: "1" }), cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("showing the state persisted in the database");
    const asJson = await runSteward(["status", "--json"], { env: baseEnv({ STATUS_PORT: "1" }), cwd });
    expect(JSON.parse(asJson.stdout)).toMatchObject({ source: "database" });
    const one = await runSteward(["status", "--json", "email"], { env: baseEnv({ STATUS_PORT: "1" }), cwd });
    expect(JSON.parse(one.stdout)).toMatchObject({ name: "email", state: "stopped" });
    expect(one.stderr).toContain("showing the state persisted in the database");
  });

  it("asks the running process for status, and fails with one line for an unknown service", async () => {
    const cwd = tempDir();
    const proc = start({}, cwd);
    const port = await proc.ready();
    const env = baseEnv({ STATUS_PORT: String(port) });
    const result = await runSteward(["status", "--json"], { env, cwd });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ source: "process" });
    const unknown = await runSteward(["status", "nope"], { env, cwd });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    expect(unknown.stderr).toMatch(/^steward: no such service: nope/);
  });

  it("refuses to start on a non-loopback STATUS_HOST without ADMIN_TOKEN", async () => {
    const result = await runSteward(["start"], { env: baseEnv({ STATUS_HOST: "0.0.0.0" }), cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("ADMIN_TOKEN");
  });

  it("exits 1 with one line when the status port is taken", async () => {
    const first = start({});
    const port = await first.ready();
    const result = await runSteward(["start"], { env: baseEnv({ STATUS_PORT: String(port) }), cwd: tempDir() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`STATUS_PORT ${port} on 127.0.0.1 is already in use`);
  });
});

describe("secrets", () => {
  it("never reach a log line, the status JSON, config check or status output", async () => {
    const secrets = {
      token: "tok-0123456789abcdef",
      smtp: "smtp-pw-7f3a9c",
      hook: "hook-path-5e1d",
      db: "db-pw-42c7e1",
    };
    const cwd = tempDir();
    let databaseUrl: string | undefined;
    const t = TEST_DATABASE_URL ? await pgTestDb() : undefined;
    if (t) {
      const url = new URL(t.url);
      url.password = secrets.db; // trust auth: accepted and ignored by the server
      databaseUrl = url.toString();
    }
    const env = {
      ADMIN_TOKEN: secrets.token,
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: "1",
      SMTP_USER: "mailer",
      SMTP_PASSWORD: secrets.smtp,
      EMAIL_FROM: "ops@example.com",
      ALERT_WEBHOOK_URL: `http://127.0.0.1:1/${secrets.hook}`,
      LOG_LEVEL: "debug",
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    };
    const proc = start(env, cwd);
    const port = await proc.ready();
    const status = await proc.get(port, "/status");
    const check = await runSteward(["config", "check"], { env: baseEnv(env), cwd });
    const cliStatus = await runSteward(["status", "--json"], {
      env: baseEnv({ ...env, STATUS_PORT: String(port) }),
      cwd,
    });
    await proc.stop();
    await t?.cleanup();
    expect(check.code).toBe(0);
    const everything = [proc.stdout, proc.stderr, status.text, check.stdout, check.stderr, cliStatus.stdout].join("\n");
    for (const secret of Object.values(secrets)) {
      if (secret === secrets.db && !databaseUrl) continue;
      expect(everything).not.toContain(secret);
    }
    expect(check.stdout).toContain("***");
  });
});

describePg("readiness", () => {
  /**
   * Runs `body` on a fresh database whose migration lock another session holds, as a process
   * migrating it would; `release` lets the migration go on.
   */
  async function withMigrationLocked(body: (t: TestDb, release: () => Promise<void>) => Promise<void>): Promise<void> {
    const t = await pgTestDb();
    const schema = new URL(t.url).searchParams.get("options")?.split("=")[1] ?? "";
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    try {
      await blocker.query("begin");
      await blocker.query("select pg_advisory_xact_lock($1)", [lockKey(`steward-migrate:${schema}`)]);
      await body(t, async () => void (await blocker.query("commit")));
    } finally {
      await blocker.end();
      await t.cleanup();
    }
  }

  const startedAnything = (proc: StewardProcess) =>
    proc.lines.some((l) => isStartedLine(l) || l.msg === "became leader");

  it("on SIGTERM while migrations wait, starts no service and exits once the grace has run out", async () => {
    await withMigrationLocked(async (t, release) => {
      const proc = start({ DATABASE_URL: t.url, SHUTDOWN_GRACE_SECONDS: "1" });
      await proc.waitForLog((l) => l.msg === "status server listening");
      proc.kill("SIGTERM");
      // The lock is still held: only the forced exit after the grace can end the process.
      expect(await proc.exited).toEqual({ code: 1, signal: null });
      expect(proc.lines.some((l) => l.msg === "shutdown outlasted the grace period; exiting")).toBe(true);
      await release();
      expect(startedAnything(proc)).toBe(false);
      expect(await t.db.sql.all("select service from service_instance_state")).toEqual([]);
    });
  });

  it("on SIGTERM while migrations wait, goes no further once they finish, and exits 0", async () => {
    await withMigrationLocked(async (t, release) => {
      const proc = start({ DATABASE_URL: t.url, SHUTDOWN_GRACE_SECONDS: "30" });
      await proc.waitForLog((l) => l.msg === "status server listening");
      proc.kill("SIGTERM");
      await proc.waitForLog((l) => l.msg === "shutting down");
      await release();
      expect(await proc.exited).toEqual({ code: 0, signal: null });
      expect(proc.lines.some((l) => l.msg === "database ready")).toBe(true);
      expect(startedAnything(proc)).toBe(false);
      expect(await t.db.sql.all("select service from service_instance_state")).toEqual([]);
    });
  });

  it("answers /readyz 503 while migrations wait, then 200 once started", async () => {
    await withMigrationLocked(async (t, release) => {
      const proc = start({ DATABASE_URL: t.url });
      const listening = await proc.waitForLog((l) => l.msg === "status server listening");
      const port = Number(listening.port);
      expect((await proc.get(port, "/healthz")).status).toBe(200);
      expect((await proc.get(port, "/readyz")).status).toBe(503);
      await release();
      await proc.waitForLog(isStartedLine);
      expect((await proc.get(port, "/readyz")).status).toBe(200);
    });
  });
});
