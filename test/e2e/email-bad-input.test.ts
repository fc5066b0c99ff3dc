import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/open.js";
import { tempDir } from "../helpers/db.js";
import { baseEnv, runSteward, StewardProcess } from "../helpers/steward-process.js";

const TOKEN = "test-admin-token-0123456789";

describe("bad email input through HTTP and the CLI", () => {
  let dir: string;
  let env: Record<string, string>;
  let proc: StewardProcess;
  let port: number;

  beforeAll(async () => {
    dir = tempDir();
    // No SMTP_HOST and no workers: whatever got stored would stay visible in the table.
    env = baseEnv({
      DATA_DIR: path.join(dir, "data"),
      ADMIN_TOKEN: TOKEN,
      EMAIL_MAX_BYTES: "2048",
      EMAIL_QUEUE_ENABLED: "false",
    });
    proc = new StewardProcess({ env, cwd: dir });
    port = await proc.ready();
  });
  afterAll(async () => {
    await proc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function storedJobs(): Promise<number> {
    const db = openDatabase({ dialect: "sqlite", file: path.join(dir, "data", "steward.db") });
    try {
      return Number((await db.sql.get<{ n: unknown }>("select count(*) as n from email_jobs"))?.n);
    } finally {
      await db.close();
    }
  }

  async function post(body: string, headers: Record<string, string> = {}) {
    const response = await fetch(`http://127.0.0.1:${port}/emails`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, ...headers },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const good = { to: "reader@example.com", subject: "Hello", text: "Body" };

  it.each([
    ["missing recipient", { subject: "s", text: "t" }, 400, /at least one recipient/],
    [
      "invalid address",
      { ...good, to: "reader(at)example.com" },
      400,
      /to: "reader\(at\)example.com" is not an email address/,
    ],
    ["one invalid address in a list", { ...good, cc: ["ok@example.com", "nope"] }, 400, /cc: "nope"/],
    [
      "CR/LF in the subject",
      { ...good, subject: "Hi\r\nBcc: everyone@example.com" },
      400,
      /subject must not contain CR/,
    ],
    ["CR/LF in a header", { ...good, headers: { "X-Tag": "a\nb" } }, 400, /header X-Tag must not contain/],
    ["a header the queue owns", { ...good, headers: { "Message-ID": "<x@y>" } }, 400, /set by the queue/],
    ["oversized body", { ...good, text: "x".repeat(3000) }, 400, /more than EMAIL_MAX_BYTES \(2048\)/],
    ["unknown template", { to: "r@example.com", templateId: "nope" }, 400, /unknown template nope/],
    [
      "missing template variable",
      { to: "r@example.com", templateId: "welcome", variables: { name: "A" } },
      400,
      /needs variable product/,
    ],
    ["unknown field", { ...good, subjet: "typo" }, 400, /unknown field subjet/],
    ["bad sendAt", { ...good, sendAt: "tomorrow" }, 400, /sendAt "tomorrow" is not an ISO 8601 time/],
    // Date rolled this over to 2 March; the PUT routes' parser refuses it, and now so does this one.
    ["sendAt on 30 February", { ...good, sendAt: "2027-02-30T00:00:00Z" }, 400, /is not a real date and time/],
    // Read in the server's zone, New York and Tokyo stored it 14 hours apart.
    ["sendAt without an offset", { ...good, sendAt: "2027-03-01T12:00:00" }, 400, /has no offset: add Z/],
  ])("HTTP: %s -> %i", async (_name, body, status, reason) => {
    const response = await post(JSON.stringify(body));
    expect(response.status).toBe(status);
    expect(String(response.body.error)).toMatch(reason);
  });

  it("HTTP: malformed JSON, a wrong or missing token, a non-JSON body are refused", async () => {
    const malformed = await post("{to: nope");
    expect(malformed.status).toBe(400);
    expect(String(malformed.body.error)).toMatch(/^malformed JSON/);
    expect((await post(JSON.stringify(good), { authorization: "Bearer wrong-token-0123456789" })).status).toBe(401);
    expect((await post(JSON.stringify(good), { authorization: "" })).status).toBe(401);
    expect((await post(JSON.stringify(good), { "content-type": "text/plain" })).status).toBe(415);
    expect(await storedJobs()).toBe(0);
  });

  it.each([
    ["missing --to", ["--subject", "s", "--text", "t"], /at least one recipient/],
    ["invalid address", ["--to", "not-an-address", "--subject", "s", "--text", "t"], /to: "not-an-address"/],
    [
      "CR/LF in the subject",
      ["--to", "a@example.com", "--subject", "a\r\nBcc: x@example.com", "--text", "t"],
      /subject must not contain CR/,
    ],
    ["oversized body", ["--to", "a@example.com", "--subject", "s", "--text", "x".repeat(3000)], /EMAIL_MAX_BYTES/],
    ["unknown template", ["--to", "a@example.com", "--template", "nope"], /unknown template nope/],
    [
      "missing variable",
      ["--to", "a@example.com", "--template", "welcome", "--var", "name=A"],
      /needs variable product/,
    ],
    [
      "malformed --var",
      ["--to", "a@example.com", "--template", "welcome", "--var", "name"],
      /--var "name" is not name=value/,
    ],
    [
      "--send-at without an offset",
      ["--to", "a@example.com", "--subject", "s", "--text", "t", "--send-at", "2027-03-01T12:00:00"],
      /--send-at "2027-03-01T12:00:00" has no offset/,
    ],
    [
      "--send-at on 30 February",
      ["--to", "a@example.com", "--subject", "s", "--text", "t", "--send-at", "2027-02-30T09:00:00+01:00"],
      /--send-at "2027-02-30T09:00:00\+01:00" is not a real date and time/,
    ],
    [
      "bad --priority",
      ["--to", "a@example.com", "--subject", "s", "--text", "t", "--priority", "high"],
      /--priority "high"/,
    ],
  ])("CLI: %s exits 1 with one line", async (_name, args, reason) => {
    const result = await runSteward(["email", "send", ...args], { env, cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^steward: /);
    expect(lines[0]).toMatch(reason);
  });

  it("stored nothing for any of the bad inputs; a good one is stored once per idempotency key", async () => {
    expect(await storedJobs()).toBe(0);
    const first = await post(JSON.stringify({ ...good, idempotencyKey: "order-42" }));
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ id: expect.any(String), status: "pending" });
    const again = await post(JSON.stringify({ ...good, subject: "Changed", idempotencyKey: "order-42" }));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      id: first.body.id,
      status: "pending",
      subject: "Hello",
      to: ["reader@example.com"],
    });
    expect(await storedJobs()).toBe(1);

    const read = await fetch(`http://127.0.0.1:${port}/emails/${first.body.id}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(read.status).toBe(200);
    const job = (await read.json()) as Record<string, unknown>;
    expect(job).toMatchObject({ id: first.body.id, subject: "Hello", attempts: 0, idempotencyKey: "order-42" });
    expect(job.messageId).toMatch(/^<.+@localhost>$/);
    expect(job).not.toHaveProperty("text");
    expect(job).not.toHaveProperty("html");
    const missing = await fetch(`http://127.0.0.1:${port}/emails/no-such-id`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBe("no such email job: no-such-id");
  });
});
