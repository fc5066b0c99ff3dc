import nodemailer, { type SendMailOptions } from "nodemailer";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inlineComposer } from "../../src/services/email/send/compose/compose.js";
import { ComposeThread } from "../../src/services/email/send/compose/compose-thread.js";
import type { OutgoingMessage } from "../../src/services/email/send/message.js";
import { smtpPoolOptions, smtpTransport } from "../../src/services/email/send/transports/smtp.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { waitFor } from "../helpers/wait.js";

const DATE = new Date("2026-03-04T05:06:07Z");

/** Messages of the shapes buildMessage makes, each with a fixed Date so two builds compare byte for byte. */
const MAILS: Array<[string, SendMailOptions]> = [
  [
    "text and html to one reader",
    {
      from: "Steward <steward@example.com>",
      to: ["ann@example.com"],
      subject: "Hello",
      text: "plain",
      html: "<p>x</p>",
    },
  ],
  [
    "cc, bcc, reply-to, names and a subject outside ASCII, custom headers",
    {
      from: '"Zoë Ünal" <zoe@example.com>',
      to: ['"Doe, John" <john@example.com>', "bob@example.com"],
      cc: ["Carol <carol@example.com>"],
      bcc: ["hidden@example.com"],
      replyTo: "replies@example.com",
      subject: "Grüße zum Jahrestag — ✓",
      text: "Zeile eins\nZeile zwei\n.\nein Punkt allein",
      html: "<p>Grüße</p>",
      headers: { "X-Campaign": "spring", "List-Unsubscribe": "<mailto:stop@example.com>" },
    },
  ],
  [
    "a retry to the recipients still pending (its own envelope)",
    {
      from: "steward@example.com",
      to: ["done@example.com", "pending@example.com"],
      subject: "Again",
      text: "t",
      envelope: { from: "steward@example.com", to: ["pending@example.com"] },
    },
  ],
  [
    "an html part only, with a line longer than SMTP allows",
    { from: "steward@example.com", to: "long@example.com", subject: "Long", html: `<p>${"x".repeat(3_000)}</p>` },
  ],
];

const message = (i: number, mail: SendMailOptions): OutgoingMessage => {
  const messageId = `<compose-${i}@example.test>`;
  return { jobId: String(i), messageId, mail: { ...mail, messageId, date: DATE } };
};

/** Multipart boundaries are drawn at random for each message; everything else must match. */
const comparable = (raw: Buffer) =>
  raw.toString("latin1").replace(/--_NmP-[0-9a-f]{16}-Part/g, "--_NmP-(boundary)-Part");

describe("messages composed on a thread of their own", () => {
  let sink: SmtpSink;

  beforeEach(async () => {
    sink = await SmtpSink.start();
  });
  afterEach(async () => {
    await sink.stop();
  });

  const smtp = () => sink.smtpSettings(2);

  it.each(MAILS.map(([what, mail], i) => [what, i, mail] as const))(
    "put the same bytes and envelope on the wire as nodemailer's pool building it: %s",
    async (_what, i, mail) => {
      const out = message(i, mail);
      const plain = nodemailer.createTransport(smtpPoolOptions(smtp()));
      const composed = smtpTransport(smtp(), new ComposeThread());
      try {
        await plain.sendMail(out.mail);
        await composed.send(out, new AbortController().signal);
      } finally {
        plain.close();
        await composed.close();
      }
      const [a, b] = sink.messages;
      expect(sink.messages).toHaveLength(2);
      expect(b?.envelopeFrom).toBe(a?.envelopeFrom);
      expect(b?.envelopeTo).toEqual(a?.envelopeTo);
      expect(comparable(b?.raw as Buffer)).toBe(comparable(a?.raw as Buffer));
      // And what they hold is what was asked for: a Bcc reader gets it, but no Bcc header says so.
      expect(a?.envelopeTo.length).toBeGreaterThan(0);
      expect(comparable(a?.raw as Buffer)).not.toMatch(/^bcc:/im);
      expect(b?.parsed?.messageId).toBe(out.messageId);
    },
  );
});

describe("the compose thread", () => {
  const mail = (i: number): SendMailOptions => ({
    from: "steward@example.com",
    to: `reader${i}@example.com`,
    subject: `s${i}`,
    text: `t${i}`,
    html: `<p>${i}</p>`,
    messageId: `<m${i}@example.test>`,
    date: DATE,
  });
  const text = (raw: Uint8Array) => comparable(Buffer.from(raw));
  let thread: ComposeThread;
  const here = inlineComposer();

  afterEach(async () => {
    await thread.close();
  });

  it("composes what the main thread would, starts with the first message and ends after the idle time", async () => {
    thread = new ComposeThread(200);
    expect(thread.threadRunning).toBe(false);
    const composed = await Promise.all(Array.from({ length: 40 }, (_, i) => thread.compose(mail(i))));
    expect(thread.threadRunning).toBe(true);
    for (const [i, c] of composed.entries()) {
      const expected = await here.compose(mail(i));
      expect(text(c.raw)).toBe(text(expected.raw));
      expect(c.envelope).toEqual({ from: "steward@example.com", to: [`reader${i}@example.com`] });
    }
    await waitFor(() => !thread.threadRunning, { what: "the idle thread to end" });
    // The next message starts a new one.
    expect(text((await thread.compose(mail(99))).raw)).toContain("Message-ID: <m99@example.test>");
    expect(thread.threadRunning).toBe(true);
  });

  it("loses nothing when the thread dies with messages in hand: they are composed on the main thread", async () => {
    thread = new ComposeThread();
    await thread.compose(mail(0));
    const pending = Array.from({ length: 200 }, (_, i) => thread.compose(mail(i)));
    await thread.kill();
    const composed = await Promise.all(pending);
    expect(composed.map((c) => /Message-ID: (\S+)/.exec(text(c.raw))?.[1])).toEqual(
      Array.from({ length: 200 }, (_, i) => `<m${i}@example.test>`),
    );
    // For a while after, messages are composed here rather than by a new thread.
    await thread.compose(mail(1));
    expect(thread.threadRunning).toBe(false);
  });

  it("answers every message handed over before close, then composes on the main thread", async () => {
    thread = new ComposeThread();
    const pending = Array.from({ length: 100 }, (_, i) => thread.compose(mail(i)));
    await thread.close();
    expect(await Promise.all(pending)).toHaveLength(100);
    expect(thread.threadRunning).toBe(false);
    expect(text((await thread.compose(mail(7))).raw)).toContain("Subject: s7");
  });

  it("hands nodemailer's error back for a message it cannot compose", async () => {
    thread = new ComposeThread();
    const bad = { ...mail(1), text: { path: "/nonexistent/steward-compose-test" } };
    await expect(thread.compose(bad as SendMailOptions)).rejects.toThrow(/ENOENT|nonexistent/);
    expect(thread.threadRunning).toBe(true);
  });
});
