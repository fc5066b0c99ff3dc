import fs from "node:fs";
import path from "node:path";
import { simpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import type { EmailJob } from "../../src/services/email/job.js";
import { buildMessage } from "../../src/services/email/message.js";
import { TemplateRenderer } from "../../src/services/email/templates.js";
import { outboxTransport } from "../../src/services/email/transports/outbox.js";
import { EmailValidationError } from "../../src/services/email/validation-error.js";
import { tempDir } from "../helpers/db.js";

const defaults = { from: "Steward <steward@example.test>", templates: new TemplateRenderer() };
const at = new Date("2026-01-01T00:00:00Z");
const job = (over: Partial<EmailJob> = {}): EmailJob => ({
  id: "job-1",
  to: ["a@example.com"],
  cc: [],
  bcc: [],
  from: null,
  replyTo: null,
  subject: "Hello",
  text: "Body",
  html: null,
  templateId: null,
  variables: null,
  headers: null,
  priority: 0,
  status: "sending",
  attempts: 1,
  maxAttempts: null,
  runAt: at,
  leaseHolder: "h",
  leaseExpiresAt: at,
  lastError: null,
  lastSmtpCode: null,
  rejected: null,
  idempotencyKey: null,
  batchId: null,
  messageId: "<job-1@example.test>",
  createdAt: at,
  updatedAt: at,
  sentAt: null,
  ...over,
});

describe("building a message from a stored row", () => {
  it("uses the stored Message-ID and EMAIL_FROM by default, and renders a hand-inserted template row", () => {
    const message = buildMessage(
      job({ subject: "", text: null, templateId: "welcome", variables: { name: "Ann", product: "Acme" } }),
      defaults,
    );
    expect(message.mail).toMatchObject({
      from: "Steward <steward@example.test>",
      messageId: "<job-1@example.test>",
      subject: "Welcome to Acme, Ann",
    });
    expect(message.mail.text).toContain("Hello Ann,");
  });

  it.each([
    ["a header injected through a hand-inserted row", { headers: { "X-A": "v\r\nBcc: all@example.com" } }],
    ["a header the queue owns", { headers: { Bcc: "all@example.com" } }],
    ["a From that is not one mailbox", { from: "a@example.com, b@example.com" }],
    ["a Message-ID with a line break", { messageId: "<x@y>\r\nBcc: z@example.com" }],
    ["no recipients", { to: [] }],
    ["a recipient that is not an address", { to: ["not an address"] }],
    ["a template variable missing", { text: null, templateId: "welcome", variables: { name: "A" } }],
  ])("refuses %s (the job fails for good)", (_name, over) => {
    expect(() => buildMessage(job(over as Partial<EmailJob>), defaults)).toThrow(EmailValidationError);
  });
});

describe("the outbox transport", () => {
  it("writes a complete .eml named after the job, and a safe name for an odd id", async () => {
    const dir = path.join(tempDir(), "outbox");
    const outbox = outboxTransport(dir);
    const signal = new AbortController().signal;
    await outbox.send(buildMessage(job(), defaults), signal);
    await outbox.send(buildMessage(job({ id: "../../escape", messageId: "<odd@example.test>" }), defaults), signal);
    await outbox.close();
    const files = fs.readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files).toContain("job-1.eml");
    expect(files.find((f) => f !== "job-1.eml")).toMatch(/^job-[0-9a-f]{32}\.eml$/);
    const mail = await simpleParser(fs.readFileSync(path.join(dir, "job-1.eml")));
    expect(mail.messageId).toBe("<job-1@example.test>");
    expect(mail.subject).toBe("Hello");
  });
});
