import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/core/logger.js";
import { HttpError, json, Router } from "../../src/http/router.js";
import { type HttpServer, listen } from "../../src/http/server.js";

const logger = createLogger({ level: "silent", format: "json", secrets: [], stream: { write: () => {} } });
let server: HttpServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(token: string | undefined) {
  const stored: unknown[] = [];
  const router = new Router(token)
    .add({ method: "GET", path: "/things/:id", handler: (req) => json(200, { id: req.params.id }) })
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
      method: "GET",
      path: "/boom",
      handler: () => {
        throw new Error("secret internals");
      },
    });
  server = await listen(router, "127.0.0.1", 0, logger);
  const base = `http://127.0.0.1:${server.port}`;
  const call = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const response = await fetch(base + path, {
      method,
      body,
      headers: { "content-type": "application/json", ...headers },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { call, stored };
}

describe("router", () => {
  it("routes with parameters and answers unknown paths with a JSON 404", async () => {
    const { call } = await serve(undefined);
    expect(await call("GET", "/things/a%20b")).toEqual({ status: 200, body: { id: "a b" } });
    expect(await call("GET", "/nope")).toEqual({ status: 404, body: { error: "no such endpoint: /nope" } });
    expect((await call("DELETE", "/things/1")).status).toBe(405);
    expect(await call("GET", "/things/%E0%A4%A")).toEqual({
      status: 400,
      body: { error: "malformed percent-encoding in /things/%E0%A4%A" },
    });
  });

  it("requires the admin token on mutating routes when one is set, and stores nothing without it", async () => {
    const { call, stored } = await serve("the-admin-token-123");
    expect((await call("POST", "/things", "{}")).status).toBe(401);
    expect((await call("POST", "/things", "{}", { authorization: "Bearer wrong-token-xxxxxxx" })).status).toBe(401);
    expect(stored).toEqual([]);
    expect((await call("POST", "/things", '{"a":1}', { authorization: "Bearer the-admin-token-123" })).status).toBe(
      202,
    );
    expect(stored).toEqual([{ a: 1 }]);
  });

  it("answers malformed and oversized bodies with a 4xx reason", async () => {
    const { call, stored } = await serve(undefined);
    const bad = await call("POST", "/things", "{nope");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^malformed JSON/);
    expect((await call("POST", "/things", JSON.stringify({ x: "y".repeat(200) }))).status).toBe(413);
    expect((await call("POST", "/things", "")).status).toBe(400);
    expect(stored).toEqual([]);
  });

  it("hides internal errors behind a 500", async () => {
    const { call } = await serve(undefined);
    expect(await call("GET", "/boom")).toEqual({ status: 500, body: { error: "internal error" } });
  });
});
