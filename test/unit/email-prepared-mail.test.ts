import nodemailer, { type SendMailOptions } from "nodemailer";
import { describe, expect, it } from "vitest";
import { Boundaries, preparedMail } from "../../src/services/email/send/transports/prepared-mail.js";

/** The message exactly as nodemailer would put it on the wire (its stream transport builds it the same way). */
async function wire(mail: SendMailOptions): Promise<{ message: string; envelope: unknown }> {
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" });
  const info = await builder.sendMail(mail);
  return { message: (info.message as Buffer).toString("latin1"), envelope: info.envelope };
}

const ADDRESSES = [
  "ann@example.com",
  '"Ann" <ann@example.com>',
  '"Doe, John" <john@example.com>',
  '"Zoë Ünal" <zoe@exämple.com>',
  '"" <empty@example.com>',
  "MiXeD@Example.COM",
  "user@[127.0.0.1]",
  '"  spaced  out  " <spaced@example.com>',
  "Bare Name <bare@example.com>",
];

describe("the mail the SMTP transport hands nodemailer", () => {
  it.each(ADDRESSES)("puts the same bytes and envelope on the wire as the stored address would: %s", async (entry) => {
    const mail: SendMailOptions = {
      from: entry,
      to: [entry, "other@example.com"],
      cc: entry,
      bcc: [entry],
      replyTo: entry,
      subject: "Hello",
      text: "plain",
      html: "<p>html</p>",
      messageId: "<fixed@example.test>",
      date: new Date("2026-01-02T03:04:05Z"),
    };
    const prepared = preparedMail(mail, new Boundaries());
    const plain = await wire({ ...mail, baseBoundary: prepared.baseBoundary } as SendMailOptions);
    expect(await wire(prepared)).toEqual(plain);
  });

  it("hands the plain shapes enqueue stores over parsed, and leaves the rest to nodemailer's parser", () => {
    const to = ['"Ann" <ann@example.com>', "bob@example.com", "Bare Name <bare@example.com>"];
    expect(preparedMail({ to }, new Boundaries()).to).toEqual([
      { name: "Ann", address: "ann@example.com" },
      { name: "", address: "bob@example.com" },
      "Bare Name <bare@example.com>",
    ]);
  });

  it("gives every message its own unguessable boundary, and nodemailer uses it", async () => {
    const boundaries = new Boundaries();
    const drawn = Array.from({ length: 2_000 }, () => boundaries.next());
    expect(new Set(drawn).size).toBe(drawn.length);
    for (const b of drawn) expect(b).toMatch(/^[0-9a-f]{16}$/);
    const prepared = preparedMail({ from: "a@example.com", to: "b@example.com", text: "t", html: "h" }, boundaries);
    expect((await wire(prepared)).message).toContain(`boundary="--_NmP-${prepared.baseBoundary}-Part_1"`);
  });
});
