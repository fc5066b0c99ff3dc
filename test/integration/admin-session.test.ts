import { afterEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { lifecycleDefinition } from "../../src/services/lifecycle/index.js";
import { testApp } from "../helpers/app.js";
import { httpRequest } from "../helpers/http.js";

const TOKEN = "test-admin-token-0123456789";
const PROJECT = JSON.stringify({ name: "Acme", ownerEmail: "o@example.com", subscriptionEnd: "2030-01-01T00:00:00Z" });

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

async function start(env: Record<string, string> = {}): Promise<number> {
  app = testApp([lifecycleDefinition()], { env: { LIFECYCLE_SCHEDULER_ENABLED: "false", ...env } }).app;
  await app.start();
  return app.port;
}

const json = { "content-type": "application/json" };

async function login(port: number): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const r = await httpRequest(port, {
    method: "POST",
    path: "/session",
    headers: json,
    body: JSON.stringify({ token: TOKEN }),
  });
  expect(r.status).toBe(200);
  const setCookie = String(r.headers["set-cookie"]?.[0]);
  return { cookie: setCookie.split(";")[0] as string, csrf: (r.body as { csrf: string }).csrf, setCookie };
}

describe("the dashboard at / and GET /session without a token", () => {
  it("serves the page to a browser under a strict CSP, the endpoint list to a tool, and needs no login", async () => {
    const port = await start();
    const page = await httpRequest(port, { path: "/", headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(page.text).toContain("<title>");
    const tool = await httpRequest(port, { path: "/", headers: { accept: "application/json" } });
    expect((tool.body as { endpoints: unknown[] }).endpoints).toContainEqual({
      method: "GET",
      path: "/alerts",
      admin: false,
      token: false,
    });
    const session = await httpRequest(port, { path: "/session" });
    expect(session.body).toEqual({ authenticated: true, tokenRequired: false, csrf: null });
    const put = await httpRequest(port, { method: "PUT", path: "/projects/p1", headers: json, body: PROJECT });
    expect(put.status).toBe(201);
  });
});

describe("with ADMIN_TOKEN", () => {
  it("exchanges the token for an HttpOnly, SameSite=Strict cookie; a wrong token is 401", async () => {
    const port = await start({ ADMIN_TOKEN: TOKEN });
    const before = await httpRequest(port, { path: "/session" });
    expect(before.body).toEqual({ authenticated: false, tokenRequired: true, csrf: null });
    const wrong = await httpRequest(port, {
      method: "POST",
      path: "/session",
      headers: json,
      body: JSON.stringify({ token: "guess-guess-guess-guess" }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: "wrong token" });
    expect(wrong.headers["set-cookie"]).toBeUndefined();

    const { cookie, csrf, setCookie } = await login(port);
    expect(setCookie).toMatch(
      /^steward_session=[\w-]+\.\d+\.[\w-]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/,
    );
    expect(csrf).toMatch(/^[\w-]{43}$/);
    const after = await httpRequest(port, { path: "/session", headers: { cookie } });
    expect(after.body).toEqual({ authenticated: true, tokenRequired: true, csrf });
    const bearer = await httpRequest(port, { path: "/session", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bearer.body).toEqual({ authenticated: true, tokenRequired: true, csrf: null });

    const out = await httpRequest(port, { method: "DELETE", path: "/session", headers: { cookie } });
    expect(out.headers["set-cookie"]?.[0]).toMatch(/^steward_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
  });

  it("lets a session write only with its CSRF header; the bearer token works without one", async () => {
    const port = await start({ ADMIN_TOKEN: TOKEN });
    const { cookie, csrf } = await login(port);
    const put = (headers: Record<string, string>) =>
      httpRequest(port, { method: "PUT", path: "/projects/p1", headers: { ...json, ...headers }, body: PROJECT });

    expect((await put({})).status).toBe(401);
    const noCsrf = await put({ cookie });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body).toEqual({
      error: "missing or wrong x-steward-csrf header (the dashboard sends it with every write)",
    });
    expect((await put({ cookie, "x-steward-csrf": `${csrf.slice(1)}x` })).status).toBe(403);
    expect((await put({ cookie, "x-steward-csrf": csrf })).status).toBe(201);
    expect((await put({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    // A forged cookie (another expiry under the old MAC) is no session at all.
    const [id, , mac] = cookie.split("=")[1]?.split(".") ?? [];
    const forged = `steward_session=${id}.${Date.now() + 10 * 86_400_000}.${mac}`;
    expect((await put({ cookie: forged, "x-steward-csrf": csrf })).status).toBe(401);
    // Reads take the cookie alone.
    expect((await httpRequest(port, { path: "/projects/p1", headers: { cookie } })).status).toBe(200);
  });

  it("refuses a cross-site form post: the foreign Origin (403), the form body (415), the missing CSRF (403)", async () => {
    const port = await start({ ADMIN_TOKEN: TOKEN });
    const { cookie } = await login(port);
    const form = { "content-type": "application/x-www-form-urlencoded", cookie };
    const crossSite = await httpRequest(port, {
      method: "POST",
      path: "/session",
      headers: { ...form, origin: "http://evil.example" },
      body: `token=${TOKEN}`,
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body).toEqual({ error: 'cross-origin request refused (Origin "http://evil.example")' });
    const formLogin = await httpRequest(port, {
      method: "POST",
      path: "/session",
      headers: form,
      body: `token=${TOKEN}`,
    });
    expect(formLogin.status).toBe(415);
    // Without Origin (an old browser), the cookie alone does not carry a write.
    const put = await httpRequest(port, { method: "PUT", path: "/projects/p2", headers: form, body: "name=x" });
    expect(put.status).toBe(403);
  });

  it("off loopback gives the page to anyone (the login form) and the endpoint list only with the token", async () => {
    const port = await start({ ADMIN_TOKEN: TOKEN, STATUS_HOST: "0.0.0.0" });
    expect((await httpRequest(port, { path: "/", headers: { accept: "text/html" } })).status).toBe(200);
    expect((await httpRequest(port, { path: "/" })).status).toBe(401);
    expect((await httpRequest(port, { path: "/status" })).status).toBe(401);
    const { cookie } = await login(port);
    expect((await httpRequest(port, { path: "/status", headers: { cookie } })).status).toBe(200);
    expect((await httpRequest(port, { path: "/", headers: { cookie } })).status).toBe(200);
  });
});
