import type { SendMailOptions } from "nodemailer";
import type { EmailConfig } from "../../../../config/email.js";
import { refusalsOf } from "../../store/recipients.js";
import type { Composer } from "../compose/compose.js";
import type { OutgoingMessage } from "../message.js";
import { loadNodemailer } from "./nodemailer.js";
import { Boundaries, preparedMail } from "./prepared-mail.js";
import type { EmailTransport, SendResult } from "./transport.js";

export type SmtpSettings = NonNullable<EmailConfig["smtp"]>;

/** nodemailer's options for our settings; the benchmark's ceiling uses the very same. */
export function smtpPoolOptions(smtp: SmtpSettings) {
  return {
    pool: true as const,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? "" } : undefined,
    maxConnections: smtp.poolSize,
    connectionTimeout: smtp.timeoutMs,
    greetingTimeout: smtp.timeoutMs,
    socketTimeout: smtp.timeoutMs,
    // The queue owns retries: a message whose connection dropped fails back to us at once, and
    // the queue decides (circuit breaker, EMAIL_RETRY_DELAYS) with the error kept, instead of
    // the pool re-sending it out of sight.
    maxRequeues: 0,
    // No count limit on a connection's messages, like Postfix's client (it bounds reuse by idle
    // time): nodemailer's default of 100 reopens every connection every 100 messages, paying the
    // TCP, TLS and login handshakes again, and the message that lands on the new connection waits
    // for them. Idle connections still close (nodemailer's idleTimeout); a server that ends a
    // session itself fails the send in hand, which the queue retries.
    maxMessages: Number.POSITIVE_INFINITY,
  };
}

/**
 * A pooled SMTP transport, opened once and reused by every worker until the queue stops. With a
 * `composer`, each message's bytes are built by it (composerFor: on a thread of its own) and the
 * pool only streams them: building is over half of what a message costs the thread that drives
 * the sockets (`npm run bench -- email --only b`). Without one, nodemailer builds each message as
 * it streams it (a sender thread, which is off the main thread already).
 */
export function smtpTransport(smtp: SmtpSettings, composer?: Composer): EmailTransport {
  const transporter = loadNodemailer().createTransport(smtpPoolOptions(smtp));
  const boundaries = new Boundaries();
  return {
    kind: "smtp",
    async send(message: OutgoingMessage, signal: AbortSignal): Promise<SendResult> {
      const mail = composer ? await composed(composer, message) : preparedMail(message.mail, boundaries);
      const info = await transporter.sendMail(Object.assign(mail, { signal }));
      return { accepted: (info.accepted ?? []).map(String), refusals: refusalsOf(info.rejectedErrors) };
    },
    async verify() {
      // A connection of its own (not one of the pool's), opened, logged in and closed.
      await transporter.verify();
    },
    async close() {
      transporter.close();
      await composer?.close();
    },
  };
}

/** The message as the pool takes built bytes: nodemailer sends `raw` as it is, to this envelope. */
async function composed(composer: Composer, message: OutgoingMessage): Promise<SendMailOptions> {
  const { envelope, raw } = await composer.compose(message.mail);
  return {
    envelope: { from: envelope.from || undefined, to: envelope.to },
    raw: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength),
    // Read by the pool for its log line only; given, nodemailer does not make one up.
    messageId: message.messageId,
  };
}
