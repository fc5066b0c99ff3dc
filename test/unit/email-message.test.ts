import fs from "node:fs";
import path from "node:path";
import { simpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import { TemplateRenderer } from "../../src/services/email/enqueue/templates.js";
import { EmailValidationError } from "../../src/services/email/enqueue/validation-error.js";
import { buildMessage } from "../../src/services/email/send/message.js";
import { outboxTransport } from "../../src/services/email/send/transports/outbox.js";
import type { EmailJob } from "../../src/services/email/store/job.js";
import { tempDir } from "../helpers/db.js";

const defaults = { from: "Steward <steward@example.test>", templates: new TemplateRenderer(), maxBytes: 10_000 };
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
  recipients: null,
  transportFailures: 0,
  problem: null,
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

  /** The error a refused row fails with: its class and its reason, which is what the job records. */
  const refusal = (over: Partial<EmailJob>) => {
    try {
      buildMessage(job(over), defaults);
    } catch (error) {
      return { permanent: error instanceof EmailValidationError, reason: (error as Error).message };
    }
    return { permanent: false, reason: "(built)" };
  };

  it.each([
    [
      "a header injected through a hand-inserted row",
      { headers: { "X-A": "v\r\nBcc: all@example.com" } },
      "header X-A must not contain CR, LF or NUL",
    ],
    [
      "a header the queue owns",
      { headers: { Bcc: "all@example.com" } },
      "header Bcc is set by the queue; use its own field",
    ],
    ["a header that is not a string", { headers: { "X-N": 5 } }, "header X-N must be a string"],
    ["a From that is not one mailbox", { from: "a@example.com, b@example.com" }, "from must be one address"],
    [
      "a Message-ID with a line break",
      { messageId: "<x@y>\r\nBcc: z@example.com" },
      "message_id must not contain CR, LF or NUL",
    ],
    ["no recipients", { to: [] }, "at least one recipient is required (to, cc or bcc)"],
    ["a recipient that is not an address", { to: ["not an address"] }, 'to: "not an address" is not an email address'],
    [
      "a template variable missing",
      { text: null, templateId: "welcome", variables: { name: "A" } },
      "template welcome needs variable product",
    ],
    ["no body at all", { text: null, html: null }, "a body is required: text, html or templateId"],
    ["an empty subject", { subject: " " }, "subject is required"],
    [
      "a body over EMAIL_MAX_BYTES",
      { text: "x".repeat(10_000) },
      /^message is 10\d{3} bytes, more than EMAIL_MAX_BYTES \(10000\)$/,
    ],
    [
      "headers the row holds as unparseable JSON",
      { problem: "headers is not valid JSON (Unexpected token)" },
      "headers is not valid JSON (Unexpected token)",
    ],
  ])("refuses %s (the job fails for good, with the reason)", (_name, over, reason) => {
    const result = refusal(over as Partial<EmailJob>);
    expect(result.permanent).toBe(true);
    if (typeof reason === "string") expect(result.reason).toBe(reason);
    else expect(result.reason).toMatch(reason);
  });

  it("sends a retry after a partial refusal to the recipients still to be sent to, with every header as before", () => {
    const message = buildMessage(
      job({
        to: ['"Ann" <ann@example.com>', "bob@example.com"],
        cc: ["carl@example.com"],
        bcc: ["dora@example.com"],
        recipients: {
          delivered: ["ann@example.com"],
          pending: [{ address: "bob@example.com", code: 451, reply: "451 later" }],
          refused: [{ address: "CARL@example.com", code: 550, reply: "550 gone" }],
        },
      }),
      defaults,
    );
    expect(message.mail.to).toEqual(['"Ann" <ann@example.com>', "bob@example.com"]);
    expect(message.mail.envelope).toEqual({
      from: "Steward <steward@example.test>",
      to: ["bob@example.com", "dora@example.com"],
    });
    expect(buildMessage(job(), defaults).mail.envelope).toBeUndefined();
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
