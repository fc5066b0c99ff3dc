import { afterEach, beforeEach, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import type { Row } from "../../src/db/sql.js";
import { toNumber } from "../../src/db/sql.js";
import { lifecycleDefinition } from "../../src/services/lifecycle/definition.js";
import { videoDefinition } from "../../src/services/video/definition.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { testApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";

const TOKEN = "test-admin-token-0123456789";

describeEachDialect("projects, portraits and videos over HTTP", (_dialect, makeDb) => {
  let t: TestDb;
  let app: App;
  let base: string;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock("2026-03-10T12:00:00Z");
    t = await makeDb();
    // The schedulers are off: these tests are about the API, and a pass would change `shown`.
    app = testApp([lifecycleDefinition(), videoDefinition()], {
      clock,
      env: {
        DATABASE_URL: t.url,
        ADMIN_TOKEN: TOKEN,
        LIFECYCLE_SCHEDULER_ENABLED: "false",
        VIDEO_SCHEDULER_ENABLED: "false",
      },
    }).app;
    await app.start();
    base = `http://127.0.0.1:${app.port}`;
  });
  afterEach(async () => {
    await app.stop();
    await t.cleanup();
  });

  async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  const count = async (table: string) => toNumber((await t.db.sql.get<Row>(`select count(*) as n from ${table}`))?.n);

  it("creates, replaces, reads and deletes a project and a portrait, with computed fields", async () => {
    const created = await call("PUT", "/projects/acme", {
      name: "Acme",
      ownerEmail: "owner@example.com",
      subscriptionEnd: "2026-03-15T14:00:00+02:00",
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: "acme",
      name: "Acme",
      subscriptionEnd: "2026-03-15T12:00:00.000Z",
      lifecycleStatus: "expiring",
      notices: [],
    });
    const replaced = await call("PUT", "/projects/acme", { name: "Acme Ltd", subscriptionEnd: "2026-06-01T00:00:00Z" });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ name: "Acme Ltd", ownerEmail: null, lifecycleStatus: "active" });

    await call("PUT", "/projects/acme", { name: "Acme", ownerEmail: "owner@example.com" });
    const portrait = await call("PUT", "/portraits/p1", {
      projectId: "acme",
      title: "Lobby",
      subscriptionEnd: "2026-03-01T00:00:00Z",
    });
    expect(portrait.status).toBe(201);
    expect(portrait.body).toMatchObject({
      projectId: "acme",
      lifecycleStatus: "archived",
      noticeRecipient: "owner@example.com",
    });
    expect((await call("GET", "/portraits/p1", undefined, null)).body).toEqual(portrait.body);

    expect(await call("DELETE", "/projects/acme")).toEqual({ status: 200, body: { id: "acme", deleted: true } });
    expect((await call("GET", "/portraits/p1")).body).toMatchObject({ projectId: null, noticeRecipient: null });
    expect(await call("DELETE", "/portraits/p1")).toMatchObject({ status: 200 });
    expect(await call("GET", "/portraits/p1")).toEqual({ status: 404, body: { error: "no such portrait: p1" } });
  });

  it("stores a video and reports whether it is shown, its state and eligibility", async () => {
    await call("PUT", "/portraits/p1", { title: "Lobby" });
    const created = await call("PUT", "/videos/v1", {
      portraitId: "p1",
      title: "Intro",
      mediaUrl: "https://media.example.com/intro.mp4",
      startAt: "2026-03-11T00:00:00+01:00",
      endAt: "2026-03-12T00:00:00Z",
      rotationType: "cyclic",
      rotationOrder: 2,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      startAt: "2026-03-10T23:00:00.000Z",
      rotationType: "cyclic",
      status: "active",
      shown: false,
      state: "scheduled",
      eligible: false,
    });
    const archived = await call("PUT", "/videos/v1", { portraitId: "p1", status: "archived" });
    expect(archived.body).toMatchObject({
      status: "archived",
      state: "archived",
      archivedAt: "2026-03-10T12:00:00.000Z",
    });
    clock.set("2026-03-10T13:00:00Z");
    const still = await call("PUT", "/videos/v1", { portraitId: "p1", status: "archived", title: "Intro (old)" });
    expect(still.body).toMatchObject({ title: "Intro (old)", archivedAt: "2026-03-10T12:00:00.000Z" });
    const back = await call("PUT", "/videos/v1", { portraitId: "p1" });
    expect(back.body).toMatchObject({ status: "active", archivedAt: null, state: "hidden", eligible: true });
    const moved = await call("PUT", "/videos/v1", { portraitId: "other" });
    expect(moved).toEqual({ status: 400, body: { error: 'portraitId "other": no such portrait' } });
    await call("PUT", "/portraits/p2", { title: "Hall" });
    const elsewhere = await call("PUT", "/videos/v1", { portraitId: "p2" });
    expect(elsewhere).toEqual({
      status: 400,
      body: { error: "video v1 belongs to portrait p1; delete it and create it anew" },
    });
    expect(await call("DELETE", "/videos/v1")).toMatchObject({ status: 200 });
    expect(await count("videos")).toBe(0);
  });

  it("answers bad input with 400 and a reason, and stores nothing", async () => {
    await call("PUT", "/portraits/p1", { title: "Lobby" });
    const cases: Array<[string, unknown, RegExp]> = [
      ["/videos/v1", { portraitId: "p1", rotationType: "shuffle" }, /^rotationType "shuffle" is not one of/],
      [
        "/videos/v1",
        { portraitId: "p1", startAt: "2026-03-12T00:00:00Z", endAt: "2026-03-11T00:00:00Z" },
        /^endAt .* must be after startAt/,
      ],
      [
        "/videos/v1",
        { portraitId: "p1", startAt: "2026-03-12T00:00:00" },
        /^startAt "2026-03-12T00:00:00" has no offset: add Z \(UTC\) or \+hh:mm/,
      ],
      ["/videos/v1", { portraitId: "nope" }, /^portraitId "nope": no such portrait/],
      [
        "/projects/x",
        { name: "X", ownerEmail: "not-an-address" },
        /^ownerEmail "not-an-address" is not an email address/,
      ],
      ["/portraits/p2", { title: "Y", ownerEmail: "a@b@c" }, /^ownerEmail .* is not an email address/],
      ["/portraits/p2", { projectId: "missing" }, /^projectId "missing": no such project/],
      ["/projects/x", '{"name": "X",', /^malformed JSON/],
      ["/projects/x", { name: "X", owner_email: "a@example.com" }, /^unknown field "owner_email"/],
    ];
    for (const [path, body, reason] of cases) {
      const answer = await call("PUT", path, body);
      expect(answer.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(String(answer.body.error)).toMatch(reason);
    }
    expect(await count("videos")).toBe(0);
    expect(await count("projects")).toBe(0);
    expect(await count("portraits")).toBe(1);
  });

  it("requires the admin token to change anything, but not to read", async () => {
    const denied = await call("PUT", "/projects/x", { name: "X" }, "wrong-token-wrong-token");
    expect(denied.status).toBe(401);
    expect((await call("PUT", "/projects/x", { name: "X" }, null)).status).toBe(401);
    expect(await count("projects")).toBe(0);
    await call("PUT", "/projects/x", { name: "X" });
    expect((await call("DELETE", "/projects/x", undefined, null)).status).toBe(401);
    expect((await call("GET", "/projects/x", undefined, null)).status).toBe(200);
  });
});
