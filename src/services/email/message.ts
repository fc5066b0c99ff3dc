import type { SendMailOptions } from "nodemailer";
import type { EmailJob } from "./job.js";
import type { TemplateRenderer } from "./templates.js";
import { assertNoLineBreaks, headerMap, oneMailbox, parseMailboxes } from "./validate.js";
import { EmailValidationError } from "./validation-error.js";

/** A job turned into what a transport sends. */
export interface OutgoingMessage {
  jobId: string;
  messageId: string;
  mail: SendMailOptions;
}

export interface MessageDefaults {
  from: string;
  templates: TemplateRenderer;
}

/**
 * What enqueueEmail stores for the common cases (a bare address, or a quoted name and an
 * address), recognised without running the full RFC 5322 parser on every send.
 */
const PLAIN_MAILBOX = /^(?:[^\s@<>",;()\\]+@[^\s@<>",;()\\]+|"[^"\\\r\n]*" <[^\s@<>",;()\\]+@[^\s@<>",;()\\]+>)$/;

/**
 * Builds the message from the stored row. Rows from enqueueEmail were validated and
 * rendered before they were stored; rows a host app inserted by hand were not, so the same
 * header and address rules are checked here and a template is rendered if the row names one
 * without bodies. Anything wrong throws EmailValidationError, which fails the job for good.
 */
export function buildMessage(job: EmailJob, defaults: MessageDefaults): OutgoingMessage {
  if (!job.messageId) throw new Error(`job ${job.id} has no Message-ID; claim sets one`);
  assertNoLineBreaks("message_id", job.messageId);
  const to = sendable("to", job.to);
  const cc = sendable("cc", job.cc);
  const bcc = sendable("bcc", job.bcc);
  if (to.length + cc.length + bcc.length === 0) throw new EmailValidationError("the job has no recipients");
  let { subject, text, html } = job;
  if (job.templateId && text === null && html === null) {
    const rendered = defaults.templates.render(job.templateId, job.variables ?? {});
    subject ||= rendered.subject;
    text = rendered.text;
    html = rendered.html;
  }
  assertNoLineBreaks("subject", subject);
  const from = job.from === null ? defaults.from : single("from", job.from);
  const replyTo = job.replyTo === null ? undefined : single("replyTo", job.replyTo);
  return {
    jobId: job.id,
    messageId: job.messageId,
    mail: {
      from,
      to,
      cc: cc.length > 0 ? cc : undefined,
      bcc: bcc.length > 0 ? bcc : undefined,
      replyTo,
      subject,
      text: text ?? undefined,
      html: html ?? undefined,
      headers: headerMap(job.headers) ?? undefined,
      // Fixed at enqueue and reused on every attempt: a resend after a crash is the same
      // message to the receiver, who can drop the duplicate.
      messageId: job.messageId,
    },
  };
}

function sendable(field: string, list: string[]): string[] {
  return list.flatMap((entry) => (PLAIN_MAILBOX.test(entry) ? [entry] : parseMailboxes(field, entry)));
}

function single(field: string, value: string): string {
  return PLAIN_MAILBOX.test(value) ? value : (oneMailbox(field, value) as string);
}
