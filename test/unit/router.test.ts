import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/core/logger.js";
import { HttpError, json, Router, type RouterOptions } from "../../src/http/router.js";
import { type HttpServer, listen } from "../../src/http/server.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { httpRequest } from "../helpers/http.js";

const TOKEN = "the-admin-token-123";
let server: HttpServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(options: RouterOptions = {}) {
  const stored: unknown[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: "info",
    format: "json",
    secrets: [],
    stream: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const router = new Router({ logger, ...options })
    .add({ method: "GET", path: "/things/:id", handler: (req) => json(200, { id: req.params.id }) })
    .add({ method: "GET", path: "/healthz", open: true, handler: () => json(200, { ok: true }) })
    .add({
      method: "POST",
      path: "/things",
      admin: true,
      maxBodyBytes: 100,
      handler: async (req) => {
        const body = await req.json();
        if (typeof body !== "object" || body === null) throw new HttpError(400, "send an object");
        stored.push(body);
        return json(202, { ok: true });
      },
    })
    .add({
      method: "POST",
      path: "/notes",
      handler: async (req) => {
        stored.push(await req.json());
        return json(202, { ok: true });
      },
    })
    .add({
      method: "GET",
      path: "/boom",
      handler: () => {
        throw new Error("secret internals");
      },
    });
  server = await listen(router, "127.0.0.1", 0, logger);
  const port = server.port;
  const call = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const reply = await httpRequest(port, {
      method,
      path,
      body,
      headers: { "content-type": "application/json", ...headers },
    });
    return { status: reply.status, body: reply.body as Record<string, unknown> };
  };
  return { call, stored, logs, port, router };
}

describe("router", () => {
  it("routes with parameters and answers unknown paths with a JSON 404", async () => {
    const { call } = await serve();
    expect(await call("GET", "/things/a%20b")).toEqual({ status: 200, body: { id: "a b" } });
    expect(await call("GET", "/nope")).toEqual({ status: 404, body: { error: "no such endpoint: /nope" } });
    expect((await call("DELETE", "/things/1")).status).toBe(405);
    expect(await call("GET", "/things/%E0%A4%A")).toEqual({
      status: 400,
      body: { error: "malformed percent-encoding in /things/%E0%A4%A" },
    });
  });

  it("requires the admin token on mutating routes when one is set, and stores nothing without it", async () => {
    const { call, stored } = await serve({ adminToken: TOKEN });
    expect((await call("POST", "/things", "{}")).status).toBe(401);
    expect((await call("POST", "/things", "{}", { authorization: "Bearer wrong-token-xxxxxxx" })).status).toBe(401);
    expect(stored).toEqual([]);
    expect((await call("POST", "/things", '{"a":1}', { authorization: `Bearer ${TOKEN}` })).status).toBe(202);
    expect(stored).toEqual([{ a: 1 }]);
    // On loopback reads stay open.
    expect((await call("GET", "/things/1")).status).toBe(200);
  });

  it("answers malformed and oversized bodies with a 4xx reason", async () => {
    const { call, stored } = await serve();
    const bad = await call("POST", "/things", "{nope");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^malformed JSON/);
    expect((await call("POST", "/things", JSON.stringify({ x: "y".repeat(200) }))).status).toBe(413);
    expect((await call("POST", "/things", "")).status).toBe(400);
    expect(stored).toEqual([]);
  });

  it("hides internal errors behind a 500", async () => {
    const { call } = await serve();
    expect(await call("GET", "/boom")).toEqual({ status: 500, body: { error: "internal error" } });
  });
});

describe("media type", () => {
  it("takes a body only as application/json, parameters allowed", async () => {
    const { port, stored } = await serve();
    const post = (headers: Record<string, string>) =>
      httpRequest(port, { method: "POST", path: "/notes", headers, body: '{"a":1}' });
    // A browser sends these three without a CORS preflight.
    for (const type of ["text/plain; charset=json", "text/plain", "application/x-www-form-urlencoded"]) {
      const reply = await post({ "content-type": type });
      expect(reply.status, type).toBe(415);
      expect(reply.body).toEqual({ error: "send the body as application/json (Content-Type: application/json)" });
    }
    // ... and a Blob body goes without any Content-Type.
    expect((await post({})).status).toBe(415);
    expect((await post({ "content-type": "application/jsonp" })).status).toBe(415);
    expect((await post({ "content-type": "application/json+x" })).status).toBe(415);
    expect(stored).toEqual([]);
    expect((await post({ "content-type": "application/json; charset=utf-8" })).status).toBe(202);
    expect((await post({ "content-type": "Application/JSON" })).status).toBe(202);
    expect(stored).toHaveLength(2);
  });
});

describe("Host and Origin", () => {
  it("answers loopback names, IP addresses and STATUS_ALLOWED_HOSTS, and 421 for any other Host", async () => {
    const { port } = await serve({ allowedHosts: ["steward.internal"] });
    const get = (host: string) => httpRequest(port, { path: "/things/1", headers: { host } });
    for (const host of [
      "localhost",
      `localhost:${port}`,
      "LOCALHOST",
      "127.0.0.1",
      `127.0.0.1:${port}`,
      "[::1]",
      `[::1]:${port}`,
      "10.1.2.3:8787",
      "steward.internal",
      "Steward.Internal:8787",
    ]) {
      expect((await get(host)).status, host).toBe(200);
    }
    for (const host of ["evil.example", `evil.example:${port}`, "localhost.evil.example", "steward.internal.evil"]) {
      const reply = await get(host);
      expect(reply.status, host).toBe(421);
      expect((reply.body as { error: string }).error).toContain("STATUS_ALLOWED_HOSTS");
    }
  });

  it("refuses a request whose Origin is not the server's own with 403, and stores nothing", async () => {
    const { port, stored } = await serve();
    const host = `127.0.0.1:${port}`;
    const post = (origin: string) =>
      httpRequest(port, {
        method: "POST",
        path: "/notes",
        headers: { host, origin, "content-type": "application/json" },
        body: '{"a":1}',
      });
    for (const origin of ["http://evil.example", `http://localhost:${port}`, "http://127.0.0.1:3000", "null"]) {
      const reply = await post(origin);
      expect(reply.status, origin).toBe(403);
      expect((reply.body as { error: string }).error).toMatch(/^cross-origin request refused/);
    }
    const read = await httpRequest(port, { path: "/things/1", headers: { host, origin: "http://evil.example" } });
    expect(read.status).toBe(403);
    expect(stored).toEqual([]);
    expect((await post(`http://${host}`)).status).toBe(202);
    expect(stored).toEqual([{ a: 1 }]);
  });
});

describe("token off loopback", () => {
  it("guards every route not marked open, and lists which need the token", async () => {
    const { call, router } = await serve({ adminToken: TOKEN, tokenEverywhere: true });
    expect((await call("GET", "/things/1")).status).toBe(401);
    expect((await call("GET", "/things/1", undefined, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await call("GET", "/healthz")).status).toBe(200);
    expect(router.endpoints()).toContainEqual({ method: "GET", path: "/things/:id", admin: false, token: true });
    expect(router.endpoints()).toContainEqual({ method: "GET", path: "/healthz", admin: false, token: false });
  });

  it("counts every refused token and logs at most one line per 10 s, with the count held back", async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const { call, logs } = await serve({ adminToken: TOKEN, tokenEverywhere: true, clock, registry });
    const refused = () => logs.filter((l) => l.msg === "admin token refused");
    await call("GET", "/things/1");
    for (let i = 0; i < 4; i++) await call("GET", "/things/1", undefined, { authorization: "Bearer nope" });
    expect(refused()).toHaveLength(1);
    expect(refused()[0]).toMatchObject({ failures: 1, reason: "missing", url: "/things/1" });
    clock.set(new Date(clock.now().getTime() + 10_000));
    await call("POST", "/things", "{}", { authorization: "Bearer still-wrong" });
    expect(refused()).toHaveLength(2);
    expect(refused()[1]).toMatchObject({ failures: 5, reason: "wrong" });
    const metrics = await registry.metrics();
    expect(metrics).toContain('steward_http_auth_failures_total{reason="missing"} 1');
    expect(metrics).toContain('steward_http_auth_failures_total{reason="wrong"} 5');
    expect(JSON.stringify(logs)).not.toContain("still-wrong");
  });
});
