import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TemplateRenderer } from "../../src/services/email/enqueue/templates.js";
import { type EmailInput, normalizeEmail } from "../../src/services/email/enqueue/validate.js";
import { EmailValidationError } from "../../src/services/email/enqueue/validation-error.js";
import { tempDir } from "../helpers/db.js";

const rules = { maxBytes: 4096, templates: new TemplateRenderer() };
const base: EmailInput = { to: "reader@example.com", subject: "Hello", text: "Body" };
const check = (input: Partial<EmailInput> & Record<string, unknown>) =>
  normalizeEmail({ ...base, ...input } as EmailInput, rules);

describe("email validation", () => {
  it("parses RFC 5322 mailboxes, lists and display names", () => {
    const email = check({
      to: ["a@example.com, Bob Smith <bob@example.org>", '"Doe, Jane" <jane@example.net>'],
      cc: "jörg@exämple.de",
      from: "Shop <shop@example.com>",
      replyTo: "<help@example.com>",
    });
    expect(email.to).toEqual(["a@example.com", '"Bob Smith" <bob@example.org>', '"Doe, Jane" <jane@example.net>']);
    expect(email.cc).toEqual(["jörg@exämple.de"]);
    expect(email.from).toBe('"Shop" <shop@example.com>');
    expect(email.replyTo).toBe("help@example.com");
  });

  it.each([
    [/to: "plainaddress" is not an email address/, { to: "plainaddress" }],
    [/is not an email address/, { to: "a@@example.com" }],
    [/is not an email address/, { to: "a@example..com" }],
    [/is a group, not a mailbox/, { to: "Team: a@example.com;" }],
    [/at least one recipient/, { to: [] }],
    [/to must be an address or a list/, { to: 42 }],
    [/from must be one address/, { from: "a@example.com, b@example.com" }],
    [/subject must not contain CR, LF or NUL/, { subject: "Hi\nthere" }],
    [/subject must not contain/, { subject: "Hi\rthere" }],
    [/subject is required/, { subject: "" }],
    [/from must not contain/, { from: "Evil\r\nBcc: x@example.com <a@example.com>" }],
    [/replyTo must not contain/, { replyTo: "a@example.com\nBcc: x@example.com" }],
    [/header X-Bad must not contain/, { headers: { "X-Ok": "fine", "X-Bad": "a\r\nb" } }],
    [/not a valid header name/, { headers: { "Bad Name": "x" } }],
    [/header bcc is set by the queue/, { headers: { bcc: "x@example.com" } }],
    [/header X-Num must be a string/, { headers: { "X-Num": 3 } }],
    [/a body is required/, { text: undefined }],
    [/message is \d+ bytes, more than EMAIL_MAX_BYTES \(4096\)/, { text: "x".repeat(5000) }],
    [/priority must be an integer/, { priority: 1.5 }],
    [/sendAt must be a valid time/, { sendAt: new Date("nope") }],
    [/idempotencyKey must not be empty/, { idempotencyKey: "" }],
    [/idempotencyKey is longer than 200/, { idempotencyKey: "k".repeat(201) }],
    [/variables must be an object/, { variables: [1, 2] }],
    [/variables must be plain JSON data/, { variables: { n: 10n } }],
  ])("rejects the input that gives %s", (reason, input) => {
    expect(() => check(input as Record<string, unknown>)).toThrow(EmailValidationError);
    expect(() => check(input as Record<string, unknown>)).toThrow(reason);
  });

  it("counts multi-byte characters as the bytes they take", () => {
    expect(() => check({ text: "é".repeat(2100) })).toThrow(/more than EMAIL_MAX_BYTES/);
    expect(check({ text: "e".repeat(2100) }).text).toHaveLength(2100);
  });

  it("holds a message to the exact byte at the limit, whichever characters make it up", () => {
    // Below a third of the limit in UTF-16 units nothing is counted; from there the bytes are.
    // base's other parts: "Hello" and "reader@example.com" are 23 bytes.
    const room = 4096 - 23;
    const euros = "€".repeat(Math.floor(room / 3)); // 3 bytes each
    const fill = "x".repeat(room - 3 * euros.length);
    expect(check({ text: euros + fill }).text).toBe(euros + fill);
    expect(() => check({ text: `${euros + fill}x` })).toThrow(
      "message is 4097 bytes, more than EMAIL_MAX_BYTES (4096)",
    );
    const emoji = "😀".repeat(Math.floor(room / 4)); // a surrogate pair, 4 bytes each
    expect(check({ text: emoji + "x".repeat(room % 4) }).text).toHaveLength(emoji.length + (room % 4));
    expect(() => check({ text: `${emoji}${"x".repeat((room % 4) + 1)}` })).toThrow(/^message is 4097 bytes/);
    expect(() => check({ text: "x".repeat(1000), variables: { long: "é".repeat(1600) } })).toThrow(
      /more than EMAIL_MAX_BYTES/,
    );
  });
});

describe("email templates", () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
    fs.mkdirSync(path.join(dir, "note"));
    fs.writeFileSync(path.join(dir, "note", "subject.txt"), "For {{name}} & co\n");
    fs.writeFileSync(
      path.join(dir, "note", "text.txt"),
      "Hi {{name}}, {{company.name}}{{#items}} [{{label}}]{{/items}}{{^vip}} (standard){{/vip}}",
    );
    fs.writeFileSync(path.join(dir, "note", "html.html"), "<p>Hi {{name}}</p>{{{raw}}}");
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("renders subject and text unescaped and the html part escaped", () => {
    const renderer = new TemplateRenderer(dir);
    const out = renderer.render("note", {
      name: "<Ann & Bo>",
      company: { name: "A&B" },
      items: [{ label: "x" }, { label: "y" }],
      raw: "<hr>",
    });
    expect(out.subject).toBe("For <Ann & Bo> & co");
    expect(out.text).toBe("Hi <Ann & Bo>, A&B [x] [y] (standard)");
    expect(out.html).toBe("<p>Hi &lt;Ann &amp; Bo&gt;</p><hr>");
  });

  it("names the variables a template needs and was not given, ignoring those inside sections", () => {
    const renderer = new TemplateRenderer(dir);
    expect(() => renderer.render("note", { name: "A" })).toThrow("template note needs variables company.name, raw");
    expect(() => renderer.render("note", { name: "A", company: { name: "C" }, raw: "" })).not.toThrow();
  });

  it("rejects an unknown template, a template missing a part, and ids that could leave the folder", () => {
    const renderer = new TemplateRenderer(dir);
    expect(() => renderer.render("nope", {})).toThrow(/unknown template nope/);
    fs.rmSync(path.join(dir, "note", "html.html"));
    expect(() => renderer.render("note", {})).toThrow(/unknown template note/);
    expect(() => renderer.render("../note", {})).toThrow(/is not a template name/);
    expect(() => renderer.render(".hidden", {})).toThrow(/is not a template name/);
  });

  it("re-reads a template edited on disk", () => {
    const renderer = new TemplateRenderer(dir);
    expect(renderer.render("note", { name: "A", company: { name: "C" }, raw: "" }).subject).toBe("For A & co");
    const file = path.join(dir, "note", "subject.txt");
    fs.writeFileSync(file, "Changed for {{name}}");
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(file, later, later);
    expect(renderer.render("note", { name: "A", company: { name: "C" }, raw: "" }).subject).toBe("Changed for A");
  });

  it("renders a template into the stored message and rejects a subject that renders a line break", () => {
    const renderer = new TemplateRenderer(dir);
    const email = normalizeEmail(
      { to: "a@example.com", templateId: "note", variables: { name: "A", company: { name: "C" }, raw: "" } },
      { maxBytes: 10_000, templates: renderer },
    );
    expect(email).toMatchObject({ subject: "For A & co", templateId: "note", text: "Hi A, C (standard)" });
    expect(() =>
      normalizeEmail(
        {
          to: "a@example.com",
          templateId: "note",
          variables: { name: "A\r\nBcc: x@y.z", company: { name: "C" }, raw: "" },
        },
        { maxBytes: 10_000, templates: renderer },
      ),
    ).toThrow(/subject must not contain/);
    expect(() =>
      normalizeEmail({ to: "a@example.com", templateId: "note", text: "x" }, { maxBytes: 10_000, templates: renderer }),
    ).toThrow(/either templateId or text\/html/);
  });

  it("ships an example template that renders with its documented variables", () => {
    const out = new TemplateRenderer().render("welcome", { name: "Ann", product: "Acme", loginUrl: "https://x.test" });
    expect(out.subject).toBe("Welcome to Acme, Ann");
    expect(out.text).toContain("Sign in at https://x.test.");
    // mustache escapes / in the html part too; browsers read &#x2F; as /.
    expect(out.html).toContain('<a href="https:&#x2F;&#x2F;x.test">Sign in</a>');
  });
});
