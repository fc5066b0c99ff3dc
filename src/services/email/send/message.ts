import type { SendMailOptions } from "nodemailer";
import type { TemplateRenderer } from "../enqueue/templates.js";
import {
  assertNoLineBreaks,
  checkSize,
  headerMap,
  NO_BODY,
  NO_RECIPIENT,
  NO_SUBJECT,
  oneMailbox,
  parseMailboxes,
} from "../enqueue/validate.js";
import { EmailValidationError } from "../enqueue/validation-error.js";
import type { EmailJob } from "../store/job.js";
import { bareAddress, stillToSend } from "../store/recipients.js";

/** A job turned into what a transport sends. */
export interface OutgoingMessage {
  jobId: string;
  messageId: string;
  mail: SendMailOptions;
}

export interface MessageDefaults {
  from: string;
  templates: TemplateRenderer;
  /** EMAIL_MAX_BYTES, which a row inserted by hand must keep to as well. */
  maxBytes: number;
}

/**
 * What enqueueEmail stores for the common cases (a bare address, or a quoted name and an
 * address), recognised without running the full RFC 5322 parser on every send.
 */
const PLAIN_MAILBOX = /^(?:[^\s@<>",;()\\]+@[^\s@<>",;()\\]+|"[^"\\\r\n]*" <[^\s@<>",;()\\]+@[^\s@<>",;()\\]+>)$/;

/**
 * Builds the message from the stored row. Rows from enqueueEmail were validated and rendered
 * before they were stored; rows a host app inserted by hand were not, so they are held to the
 * same rules as API input here (readable JSON, a body, a subject, EMAIL_MAX_BYTES, header and
 * address rules), and a template is rendered if the row names one without bodies. Anything
 * wrong throws EmailValidationError, which fails the job for good, with the API's reason.
 */
export function buildMessage(job: EmailJob, defaults: MessageDefaults): OutgoingMessage {
  if (!job.messageId) throw new Error(`job ${job.id} has no Message-ID; claim sets one`);
  if (job.problem !== null) throw new EmailValidationError(job.problem);
  assertNoLineBreaks("message_id", job.messageId);
  const to = sendable("to", job.to);
  const cc = sendable("cc", job.cc);
  const bcc = sendable("bcc", job.bcc);
  if (to.length + cc.length + bcc.length === 0) throw new EmailValidationError(NO_RECIPIENT);
  let { subject, text, html } = job;
  if (job.templateId && text === null && html === null) {
    const rendered = defaults.templates.render(job.templateId, job.variables ?? {});
    subject ||= rendered.subject;
    text = rendered.text;
    html = rendered.html;
  }
  if (text === null && html === null) throw new EmailValidationError(NO_BODY);
  if (subject.trim() === "") throw new EmailValidationError(NO_SUBJECT);
  assertNoLineBreaks("subject", subject);
  const headers = headerMap(job.headers);
  checkSize({ subject, text, html, to, cc, bcc, variables: job.variables, headers }, defaults.maxBytes);
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
      headers: headers ?? undefined,
      // Fixed at enqueue and reused on every attempt: a resend after a crash, or to the
      // recipients refused for now, is the same message to the receiver.
      messageId: job.messageId,
      // After a partial refusal, only the recipients still to be sent to; the headers still
      // name everyone, as in the copy the others received.
      envelope: job.recipients
        ? { from, to: stillToSend([...to, ...cc, ...bcc].map(bareAddress), job.recipients) }
        : undefined,
    },
  };
}

function sendable(field: string, list: string[]): string[] {
  // The list as it is when every entry is plain, as enqueueEmail stores them: no copy a send.
  if (list.every((entry) => PLAIN_MAILBOX.test(entry))) return list;
  return list.flatMap((entry) => (PLAIN_MAILBOX.test(entry) ? [entry] : parseMailboxes(field, entry)));
}

function single(field: string, value: string): string {
  return PLAIN_MAILBOX.test(value) ? value : (oneMailbox(field, value) as string);
}
