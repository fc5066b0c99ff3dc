import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/core/logger.js";
import { DASHBOARD_HEADERS, dashboardRoutes, defaultDashboardDir } from "../../src/http/dashboard-assets.js";
import { json, Router } from "../../src/http/router.js";
import { type HttpServer, listen } from "../../src/http/server.js";
import { tempDir } from "../helpers/db.js";
import { httpRequest } from "../helpers/http.js";

const logger = createLogger({ level: "silent", format: "json", secrets: [] });
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

let server: HttpServer;
beforeAll(async () => {
  // As off loopback: the token is needed for every route not marked open.
  const router = new Router({ adminToken: "secret-token", tokenEverywhere: true });
  for (const route of dashboardRoutes(defaultDashboardDir(), { otherwise: () => json(200, { endpoints: [] }) })) {
    router.add(route);
  }
  router.add({ method: "GET", path: "/status", handler: () => json(200, {}) });
  server = await listen(router, "127.0.0.1", 0, logger);
});
afterAll(() => server.close());

const get = (p: string, headers: Record<string, string> = {}) => httpRequest(server.port, { path: p, headers });

describe("dashboardAssets", () => {
  it("serves the page and its files with their types, without a token, and the security headers on every answer", async () => {
    const cases: [string, string][] = [
      ["/", "text/html; charset=utf-8"],
      ["/assets/main.js", "text/javascript; charset=utf-8"],
      ["/assets/styles.css", "text/css; charset=utf-8"],
      ["/assets/favicon.svg", "image/svg+xml"],
    ];
    for (const [url, type] of cases) {
      const r = await get(url, { accept: "text/html,*/*" });
      expect(r.status, url).toBe(200);
      expect(r.headers["content-type"], url).toBe(type);
      expect(r.headers["content-security-policy"], url).toBe(CSP);
      expect(r.headers["x-content-type-options"]).toBe("nosniff");
      expect(r.headers["referrer-policy"]).toBe("no-referrer");
      expect(r.headers["cache-control"]).toBe("no-cache");
      expect(r.headers.etag).toMatch(/^"[\w-]{22}"$/);
    }
    const missing = await get("/assets/nope.js");
    expect(missing.status).toBe(404);
    expect(missing.headers["content-security-policy"]).toBe(DASHBOARD_HEADERS["content-security-policy"]);
    // The rest of the API still wants the token.
    expect((await get("/status")).status).toBe(401);
  });

  it("answers 304 to a matching If-None-Match, and the body again when the file changed", async () => {
    const first = await get("/assets/main.js");
    const etag = String(first.headers.etag);
    const again = await get("/assets/main.js", { "if-none-match": `"other", ${etag}` });
    expect(again.status).toBe(304);
    expect(again.text).toBe("");
    expect(again.headers["content-security-policy"]).toBe(CSP);
    expect((await get("/assets/main.js", { "if-none-match": '"stale"' })).status).toBe(200);
  });

  it("serves only files in the build: no path leads outside it", async () => {
    for (const url of ["/assets/..%2F..%2Fpackage.json", "/assets/%2e%2e%2findex.html", "/assets/../../package.json"]) {
      const r = await get(url);
      expect(r.status, url).not.toBe(200);
      expect(r.text).not.toContain('"name": "steward"');
    }
  });

  it("gives browsers the page and other clients the JSON at /", async () => {
    const browser = await get("/", { accept: "text/html,application/xhtml+xml,*/*;q=0.8" });
    expect(browser.text).toContain('<script type="module" src="/assets/main.js">');
    const tool = await get("/", { accept: "*/*" });
    expect(tool.headers["content-type"]).toBe("application/json");
    expect(tool.body).toEqual({ endpoints: [] });
  });

  it("says the dashboard is not built when dist/ lacks it, instead of failing to start", async () => {
    const router = new Router();
    for (const route of dashboardRoutes(path.join(tempDir(), "nothing"))) router.add(route);
    const bare = await listen(router, "127.0.0.1", 0, logger);
    try {
      const r = await httpRequest(bare.port, { path: "/", headers: { accept: "text/html" } });
      expect(r.status).toBe(404);
      expect(r.text).toContain("the dashboard is not built");
    } finally {
      await bare.close();
    }
  });

  it("finds the build from src/ (tests) as from dist/src/ (the installed package)", async () => {
    const dist = path.resolve(import.meta.dirname, "../../dist/dashboard");
    expect(defaultDashboardDir()).toBe(dist);
    const compiled = (await import(path.join(dist, "../src/http/dashboard-assets.js"))) as {
      defaultDashboardDir(): string;
    };
    expect(compiled.defaultDashboardDir()).toBe(dist);
    expect(fs.existsSync(path.join(dist, "index.html"))).toBe(true);
  });
});
