import { parseInstant } from "../../../core/instant.js";
import type { EmailInput } from "./validate.js";
import { EmailValidationError } from "./validation-error.js";

/** `steward email send` options as commander hands them over. */
export interface SendOptions {
  to?: string[];
  cc?: string[];
  bcc?: string[];
  from?: string;
  replyTo?: string;
  subject?: string;
  text?: string;
  html?: string;
  template?: string;
  var?: string[];
  header?: string[];
  /** Already an integer in range: the command parses it (cli/int-option.ts). */
  priority?: number;
  sendAt?: string;
  idempotencyKey?: string;
  batchId?: string;
}

const fail = (message: string): never => {
  throw new EmailValidationError(message);
};

/** Turns the command line into an EmailInput; the same validator as HTTP then checks it. */
export function parseSendOptions(opts: SendOptions): EmailInput {
  return {
    to: opts.to ?? [],
    cc: opts.cc,
    bcc: opts.bcc,
    from: opts.from,
    replyTo: opts.replyTo,
    subject: opts.subject,
    text: opts.text,
    html: opts.html,
    templateId: opts.template,
    variables: opts.var ? pairs(opts.var, "=", "--var", "name=value") : undefined,
    headers: opts.header ? pairs(opts.header, ":", "--header", "Name: value") : undefined,
    priority: opts.priority,
    sendAt: opts.sendAt === undefined ? undefined : time(opts.sendAt),
    idempotencyKey: opts.idempotencyKey,
    batchId: opts.batchId,
  };
}

function pairs(entries: string[], separator: string, option: string, form: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf(separator);
    if (at <= 0) fail(`${option} "${entry}" is not ${form}`);
    out[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  return out;
}

function time(value: string): Date {
  return parseInstant(value, "--send-at", (message) => new EmailValidationError(message));
}
