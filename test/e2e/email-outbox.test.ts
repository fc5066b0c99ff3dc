import fs from "node:fs";
import path from "node:path";
import { simpleParser } from "mailparser";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/open.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import { tempDir } from "../helpers/db.js";
import { baseEnv, runSteward, StewardProcess } from "../helpers/steward-process.js";
import { waitFor } from "../helpers/wait.js";

describe("the outbox, when SMTP_HOST is unset", () => {
  let dir: string;
  let env: Record<string, string>;
  let proc: StewardProcess | undefined;

  beforeEach(() => {
    dir = tempDir();
    env = baseEnv({ DATA_DIR: path.join(dir, "data") });
  });
  afterEach(async () => {
    await proc?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function storedMessageId(id: string): Promise<string | null> {
    const db = openDatabase({ dialect: "sqlite", file: path.join(dir, "data", "steward.db") });
    try {
      return (await createEmailStore(db).get(id))?.messageId ?? null;
    } finally {
      await db.close();
    }
  }

  const emlOf = (id: string) => path.join(dir, "data", "outbox", `${id}.eml`);

  it("writes a parseable .eml for `steward email send` and for POST /emails", async () => {
    proc = new StewardProcess({ env, cwd: dir });
    const port = await proc.ready();
    const sent = await runSteward(["email", "send", "--to", "a@example.com", "--subject", "hi", "--text", "hello"], {
      env,
      cwd: dir,
    });
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    const id = /^queued (\S+) \(pending\)$/m.exec(sent.stdout)?.[1] as string;
    expect(id).toBeDefined();

    await waitFor(() => fs.existsSync(emlOf(id)), { timeoutMs: 10_000, what: "the .eml file" });
    const mail = await simpleParser(fs.readFileSync(emlOf(id)));
    expect(mail.subject).toBe("hi");
    expect(mail.text?.trim()).toBe("hello");
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : "").toBe("a@example.com");
    const from = mail.from && !Array.isArray(mail.from) ? mail.from.value[0] : undefined;
    expect(from).toMatchObject({ name: "Steward", address: "steward@localhost" });
    expect(mail.messageId).toBe(await storedMessageId(id));

    const response = await fetch(`http://127.0.0.1:${port}/emails`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        to: "b@example.com",
        templateId: "welcome",
        variables: { name: "Ann <admin>", product: "Acme" },
      }),
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { id: string; status: string };
    expect(body.status).toBe("pending");
    await waitFor(() => fs.existsSync(emlOf(body.id)), { timeoutMs: 10_000, what: "the second .eml file" });
    const welcome = await simpleParser(fs.readFileSync(emlOf(body.id)));
    expect(welcome.subject).toBe("Welcome to Acme, Ann <admin>");
    expect(welcome.text).toContain("Hello Ann <admin>,");
    expect(welcome.html).toContain("Hello Ann &lt;admin&gt;,");
  });
});
