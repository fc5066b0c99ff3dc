import type { SendMailOptions } from "nodemailer";
import { loadNodemailer } from "../transports/nodemailer.js";
import { Boundaries, preparedMail } from "../transports/prepared-mail.js";

/** A message as the SMTP pool would have streamed it, and the envelope it would have sent it with. */
export interface ComposedMail {
  envelope: { from: string | false; to: string[] };
  raw: Uint8Array;
}

/** Turns a message into its bytes: here (inlineComposer) or on a thread of its own (ComposeThread). */
export interface Composer {
  compose(mail: SendMailOptions): Promise<ComposedMail>;
  close(): Promise<void>;
}

/**
 * nodemailer's own pipeline up to the socket: the same MailMessage, compile, headers and MIME
 * stream as a pooled sendMail, with a transport that keeps the stream's bytes and the envelope
 * as the pool reads them (pool-resource.js: getEnvelope(), then createReadStream()), so the
 * pool sending them as `raw` puts the same bytes on the wire. The Bcc header is dropped as the
 * pool drops it (keepBcc stays false). The bytes go into one ArrayBuffer of their own: a
 * Buffer from node's shared slab could not be handed to another thread.
 */
export function inlineComposer(): Composer {
  const boundaries = new Boundaries();
  const transporter = loadNodemailer().createTransport({
    name: "steward-compose",
    version: "1",
    send(mail, done: (error: Error | null, info: ComposedMail) => void) {
      const envelope = mail.message.getEnvelope() as ComposedMail["envelope"];
      const stream = mail.message.createReadStream();
      const chunks: Buffer[] = [];
      let length = 0;
      stream.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.length;
      });
      stream.once("error", (error: Error) => done(error, undefined as unknown as ComposedMail));
      stream.once("end", () => {
        const raw = new Uint8Array(length);
        let at = 0;
        for (const chunk of chunks) {
          raw.set(chunk, at);
          at += chunk.length;
        }
        done(null, { envelope, raw });
      });
    },
  });
  return {
    compose: (mail) => transporter.sendMail(preparedMail(mail, boundaries)) as unknown as Promise<ComposedMail>,
    close: async () => transporter.close(),
  };
}
