import { afterEach, beforeEach, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { backupServiceDefinition } from "../../src/services/backup/index.js";
import { testApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { SseClient } from "../helpers/sse.js";
import { waitForEvent } from "../helpers/wait.js";

const TOKEN = "test-admin-token-0123456789";

describeEachDialect("backups over HTTP, and their progress on /events", (_dialect, makeDb) => {
  let t: TestDb;
  let app: App;
  let sse: SseClient | undefined;

  beforeEach(async () => {
    t = await makeDb();
    app = testApp([backupServiceDefinition], {
      env: { DATABASE_URL: t.url, ADMIN_TOKEN: TOKEN, BACKUP_DATABASE_SCHEDULE: "0 2 * * *" },
    }).app;
    await app.start();
  });
  afterEach(async () => {
    sse?.close();
    await app.stop();
    await t.cleanup();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`http://127.0.0.1:${app.port}${path}`, {
      method,
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  it("runs a database backup now (202 at once), streams its progress to done, lists and verifies it", async () => {
    sse = await SseClient.connect(app.port);
    await sse.next((m) => m.type === "service");
    const recorded = waitForEvent(app.events, "backup:progress", (p) => p.phase === "done");
    const started = await call("POST", "/backups", { kind: "database" });
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ id: expect.any(String), kind: "database", status: "running" });
    const id = started.body.id as string;
    await recorded;
    const first = await sse.next((m) => m.type === "backup");
    expect(first.data).toMatchObject({ id, kind: "database", phase: "database", percent: 0, status: "running" });
    const done = await sse.next((m) => m.type === "backup" && (m.data as { phase: string }).phase === "done");
    expect(done.data).toMatchObject({ id, percent: 100, status: "succeeded" });
    expect((done.data as { bytes: number }).bytes).toBeGreaterThan(0);
    const percents = sse.messages
      .filter((m) => m.type === "backup")
      .map((m) => (m.data as { percent: number }).percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));

    // A client that connects now is told the run's end first, without asking.
    const late = await SseClient.connect(app.port);
    try {
      const told = await late.next((m) => m.type === "backup");
      expect(told.data).toMatchObject({ id, phase: "done", percent: 100 });
    } finally {
      late.close();
    }

    const list = await call("GET", "/backups?kind=database");
    expect(list.body.items).toEqual([
      expect.objectContaining({ id, kind: "database", status: "succeeded", verified: true, error: null }),
    ]);
    const item = (list.body.items as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    expect(item.sizeBytes).toBeGreaterThan(0);
    expect(item.durationMs).toBeGreaterThanOrEqual(0);
    expect(String(item.location)).toContain(`database-`);
    expect((await call("GET", "/backups?kind=storage")).body).toEqual({ items: [], nextCursor: null });

    expect((await call("POST", `/backups/${id}/verify`)).body).toEqual({ id, verified: true, error: null });
    expect((await call("POST", "/backups/nope-nope/verify")).status).toBe(404);
    expect((await call("POST", "/backups", { kind: "tape" })).body).toEqual({
      error: 'kind: one of database, storage, full, rotation, not "tape"',
    });
    const rotation = await call("POST", "/backups", { kind: "rotation" });
    expect(rotation).toEqual({ status: 200, body: { kind: "rotation", removed: [], kept: expect.any(Object) } });
  });

  it("gives each job's next runs from its cron schedule", async () => {
    const { body } = await call("GET", "/backups/schedule?count=2");
    const jobs = body.jobs as Array<{
      name: string;
      enabled: boolean;
      schedule: string;
      timezone: string;
      nextRuns: string[];
    }>;
    expect(jobs.map((j) => j.name)).toEqual(["database", "storage", "full", "rotation"]);
    const database = jobs[0];
    expect(database).toMatchObject({ schedule: "0 2 * * *", timezone: "UTC" });
    expect(database?.nextRuns).toHaveLength(2);
    for (const at of database?.nextRuns ?? []) expect(at).toMatch(/T02:00:00\.000Z$/);
    expect(jobs[1]).toMatchObject({ name: "storage", enabled: false, nextRuns: [] });
  });

  it("sends the current state first to a client that connects, then a new alert as it is raised", async () => {
    await app.alerter.alert("warning", "before", "raised before the client connected");
    sse = await SseClient.connect(app.port);
    expect(sse.status).toBe(200);
    expect(sse.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    const first = await sse.next(() => true);
    expect(first).toMatchObject({ type: "service", data: { name: "backup", state: "running" } });
    const old = await sse.next((m) => m.type === "alert");
    expect(old.data).toMatchObject({ key: "before" });
    const mark = sse.messages.length;
    await app.alerter.alert("error", "after", "raised while the client listens");
    const fresh = await sse.next((m) => m.type === "alert", mark);
    expect(fresh.data).toEqual({
      id: expect.any(String),
      at: expect.any(String),
      severity: "error",
      key: "after",
      message: "raised while the client listens",
      instance: expect.any(String),
    });
  });
});
