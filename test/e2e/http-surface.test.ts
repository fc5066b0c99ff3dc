import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/open.js";
import { tempDir } from "../helpers/db.js";
import { httpRequest, sendAllThenRead } from "../helpers/http.js";
import { baseEnv, isStartedLine, runSteward, StewardProcess } from "../helpers/steward-process.js";

const TOKEN = "test-admin-token-0123456789";
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

async function storedJobs(cwd: string): Promise<number> {
  const db = openDatabase({ dialect: "sqlite", file: path.join(cwd, "data", "steward.db") });
  try {
    return Number((await db.sql.get<{ n: unknown }>("select count(*) as n from email_jobs"))?.n);
  } finally {
    await db.close();
  }
}

const mail = JSON.stringify({ to: "reader@example.com", subject: "Hello", text: "Body" });

describe("the HTTP surface on loopback (defaults)", () => {
  it("says in one start-up line where status is served and which services run, and lists endpoints at /", async () => {
    const proc = start({});
    const port = await proc.ready();
    const started = proc.lines.filter(isStartedLine);
    expect(started.map((l) => l.msg)).toEqual([
      `steward started: status on http://127.0.0.1:${port}, services: email, lifecycle, video, backup`,
    ]);
    const root = await proc.get(port, "/");
    expect(root.status).toBe(200);
    const endpoints = (root.body as { endpoints: unknown[] }).endpoints;
    expect(endpoints).toContainEqual({ method: "POST", path: "/emails", admin: true, token: false });
    expect(endpoints).toContainEqual({ method: "GET", path: "/status/:name", admin: false, token: false });
    expect(endpoints).toContainEqual({ method: "PUT", path: "/videos/:id", admin: true, token: false });

    const disabled = start({
      BACKUP_DATABASE_ENABLED: "false",
      BACKUP_FULL_ENABLED: "false",
      BACKUP_ROTATION_ENABLED: "false",
    });
    const otherPort = await disabled.ready();
    expect(disabled.lines.filter(isStartedLine).map((l) => l.msg)).toEqual([
      `steward started: status on http://127.0.0.1:${otherPort}, services: email, lifecycle, video; disabled: backup`,
    ]);
  });

  it("queues no mail a web page could send: text/plain bodies, foreign Host or Origin", async () => {
    const cwd = tempDir();
    const proc = start({ EMAIL_QUEUE_ENABLED: "false" }, cwd);
    const port = await proc.ready();
    const post = (headers: Record<string, string>) =>
      httpRequest(port, { method: "POST", path: "/emails", headers, body: mail });
    expect((await post({ "content-type": "text/plain; charset=json" })).status).toBe(415);
    expect((await post({})).status).toBe(415);
    const rebound = await post({ host: `evil.example:${port}`, "content-type": "application/json" });
    expect(rebound.status).toBe(421);
    const foreign = await post({ origin: "http://evil.example", "content-type": "application/json" });
    expect(foreign.status).toBe(403);
    expect((await httpRequest(port, { path: "/status", headers: { host: "evil.example" } })).status).toBe(421);
    expect(await storedJobs(cwd)).toBe(0);
    expect((await post({ "content-type": "application/json; charset=utf-8" })).status).toBe(202);
    expect(await storedJobs(cwd)).toBe(1);
  });

  it("answers 413 to a client that writes its whole oversized body first, and keeps serving", async () => {
    const cwd = tempDir();
    // EMAIL_MAX_BYTES 1024: POST /emails takes at most 2 x 1024 + 64 KiB of JSON.
    const proc = start({ EMAIL_QUEUE_ENABLED: "false", EMAIL_MAX_BYTES: "1024" }, cwd);
    const port = await proc.ready();
    const big = Buffer.alloc(4 * 1024 * 1024, 0x20);
    const head = `POST /emails HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\n\r\n`;
    for (let i = 0; i < 5; i++) {
      const answer = await sendAllThenRead(port, head, big);
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer.toLowerCase()).toContain("\r\nconnection: close\r\n");
    }
    const after = await httpRequest(port, {
      method: "POST",
      path: "/emails",
      headers: { "content-type": "application/json" },
      body: mail,
    });
    expect(after.status).toBe(202);
    expect(await storedJobs(cwd)).toBe(1);
  });
});

describe("the HTTP surface off loopback", () => {
  it("asks for the token everywhere but /healthz and /readyz, counts refusals, and `status` still reads it", async () => {
    const cwd = tempDir();
    const env = { STATUS_HOST: "0.0.0.0", ADMIN_TOKEN: TOKEN };
    const proc = start(env, cwd);
    const port = await proc.ready();
    const started = proc.lines.find(isStartedLine);
    expect(started?.msg).toMatch(
      new RegExp(`^steward started: status on http://0\\.0\\.0\\.0:${port} \\(ADMIN_TOKEN required\\), `),
    );
    const get = (urlPath: string, token?: string) =>
      httpRequest(port, { path: urlPath, headers: token ? { authorization: `Bearer ${token}` } : {} });

    for (const open of ["/healthz", "/readyz"]) expect((await get(open)).status, open).toBe(200);
    const guarded = [
      "/",
      "/status",
      "/status/email",
      "/metrics",
      "/projects/p1",
      "/portraits/p1",
      "/videos/v1",
      "/emails/e1",
    ];
    for (const urlPath of guarded) {
      const reply = await get(urlPath);
      expect(reply.status, urlPath).toBe(401);
      expect(reply.body).toEqual({ error: "missing or wrong admin token (Authorization: Bearer ADMIN_TOKEN)" });
    }
    expect((await get("/status", "wrong-token-0123456789")).status).toBe(401);
    expect((await get("/status", TOKEN)).status).toBe(200);
    expect((await get("/projects/p1", TOKEN)).status).toBe(404);
    const listing = (await get("/", TOKEN)).body as { endpoints: Array<{ path: string; token: boolean }> };
    // Open: the dashboard's page, its assets and its login; health. Everything else needs the token.
    expect(new Set(listing.endpoints.filter((e) => !e.token).map((e) => e.path))).toEqual(
      new Set(["/", "/assets/:file", "/session", "/healthz", "/readyz"]),
    );

    const metrics = await get("/metrics", TOKEN);
    expect(metrics.text).toContain(`steward_http_auth_failures_total{reason="missing"} ${guarded.length}`);
    expect(metrics.text).toContain('steward_http_auth_failures_total{reason="wrong"} 1');
    // Logged too (the rate limit itself is tested with a fake clock in test/unit/router.test.ts).
    const refused = proc.lines.find((l) => l.msg === "admin token refused");
    expect(refused).toMatchObject({ failures: 1, reason: "missing", method: "GET", url: "/" });
    expect(proc.stdout).not.toContain("wrong-token-0123456789");

    const status = await runSteward(["status", "--json"], { env: baseEnv({ ...env, STATUS_PORT: String(port) }), cwd });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ source: "process" });
  });

  it("serves /metrics without the token with METRICS_PUBLIC=true, and nothing else", async () => {
    const proc = start({ STATUS_HOST: "0.0.0.0", ADMIN_TOKEN: TOKEN, METRICS_PUBLIC: "true" });
    const port = await proc.ready();
    expect((await httpRequest(port, { path: "/metrics" })).status).toBe(200);
    expect((await httpRequest(port, { path: "/status" })).status).toBe(401);
  });
});
