import { afterEach, beforeEach, expect, it } from "vitest";
import { AlertStore } from "../../src/alerting/alert-store.js";
import type { App } from "../../src/app.js";
import { lifecycleDefinition } from "../../src/services/lifecycle/index.js";
import { testApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { waitFor } from "../helpers/wait.js";

describeEachDialect("GET /cluster and GET /alerts", (_dialect, makeDb) => {
  let t: TestDb;
  let app: App;
  let base: string;

  beforeEach(async () => {
    t = await makeDb();
    app = testApp([lifecycleDefinition()], {
      env: { DATABASE_URL: t.url, INSTANCE_ID: "web-1", LIFECYCLE_CHECK_INTERVAL_SECONDS: "3600" },
    }).app;
    await app.start();
    base = `http://127.0.0.1:${app.port}`;
  });
  afterEach(async () => {
    await app.stop();
    await t.cleanup();
  });

  const get = async (path: string) => {
    const r = await fetch(`${base}${path}`);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  it("lists this instance alive, the services it runs and the one whose lease it holds", async () => {
    await waitFor(async () => {
      const { body } = await get("/cluster");
      return (body.instances as Array<{ leads: string[] }>)[0]?.leads.includes("lifecycle") ?? false;
    });
    const { body } = await get("/cluster");
    expect(body.instances).toEqual([
      expect.objectContaining({ id: "web-1", pid: process.pid, services: ["lifecycle"], leads: ["lifecycle"] }),
    ]);
  });

  it("keeps each alert in the table and pages them newest first by cursor", async () => {
    for (const n of [1, 2, 3]) await app.alerter.alert("warning", `test-${n}`, `alert number ${n}`);
    const first = await get("/alerts?limit=2");
    const items = first.body.items as Array<Record<string, unknown>>;
    expect(items.map((a) => a.key)).toEqual(["test-3", "test-2"]);
    expect(items[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      at: expect.any(String),
      severity: "warning",
      key: "test-3",
      message: "alert number 3",
      instance: "web-1",
    });
    const second = await get(`/alerts?limit=2&cursor=${first.body.nextCursor}`);
    expect((second.body.items as Array<{ key: string }>).map((a) => a.key)).toEqual(["test-1"]);
    expect(second.body.nextCursor).toBeNull();
    expect((await get("/alerts?limit=0")).body).toEqual({ error: 'limit: give a whole number from 1 to 500, not "0"' });
    expect((await get("/alerts?cursor=nonsense")).status).toBe(400);
  });

  it("deletes the alerts older than ALERT_RETENTION_DAYS, from any process, and keeps the rest", async () => {
    const store = new AlertStore(t.db.sql);
    const day = 86_400_000;
    for (const [id, age] of [
      ["old", 31 * day],
      ["recent", 29 * day],
    ] as const) {
      const at = new Date(Date.now() - age).toISOString();
      await store.insert({ id, key: id, severity: "info", message: id, context: {}, at, instance: "web-0" });
    }
    // A second process starting prunes at its first heartbeat.
    const other = testApp([], { env: { DATABASE_URL: t.url, INSTANCE_ID: "web-2", ALERT_RETENTION_DAYS: "30" } }).app;
    await other.start();
    await other.stop();
    const keys = ((await get("/alerts")).body.items as Array<{ key: string }>).map((a) => a.key);
    expect(keys).toContain("recent");
    expect(keys).not.toContain("old");
  });
});
