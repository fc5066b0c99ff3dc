import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { Transporter } from "nodemailer";
import type { OutgoingMessage } from "../message.js";
import { loadNodemailer } from "./nodemailer.js";
import type { EmailTransport, SendResult } from "./transport.js";

/**
 * The embedded default when SMTP_HOST is unset: each message is built exactly as SMTP would
 * send it and written as a complete `.eml` file, so a newcomer can open what would have gone
 * out. The file is named after the job and written by rename, so a resend replaces it whole.
 */
export function outboxTransport(dir: string): EmailTransport {
  let builder: Transporter | undefined;
  let made: Promise<unknown> | undefined;
  return {
    kind: "outbox",
    async send(message: OutgoingMessage): Promise<SendResult> {
      // Each file is a whole message, addresses and all: readable by Steward's user only.
      made ??= fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await made;
      builder ??= loadNodemailer().createTransport({ streamTransport: true, buffer: true, newline: "windows" });
      const info = await builder.sendMail(message.mail);
      const file = path.join(dir, `${fileName(message.jobId)}.eml`);
      const temporary = `${file}.${process.pid}.tmp`;
      await fs.writeFile(temporary, info.message as Buffer, { mode: 0o600 });
      await fs.rename(temporary, file);
      const envelope = info.envelope as { to?: string[] };
      return { accepted: envelope.to ?? [], refusals: [] };
    },
    async close() {
      builder?.close();
    },
  };
}

/** A host app may give its hand-inserted rows any id; only a plain one becomes a file name as is. */
function fileName(jobId: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(jobId)
    ? jobId
    : `job-${createHash("sha256").update(jobId).digest("hex").slice(0, 32)}`;
}
