import addresses from "email-addresses";
import type { EmailMessage } from "../store/job.js";
import type { TemplateRenderer } from "./templates.js";
import { EmailValidationError } from "./validation-error.js";

/** What a caller hands the queue (camelCase, the same shape as the POST /emails body). */
export interface EmailInput {
  to: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  from?: string;
  replyTo?: string;
  subject?: string;
  text?: string;
  html?: string;
  templateId?: string;
  variables?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Lower runs first; default 0. */
  priority?: number;
  /** Earliest send time; default now. */
  sendAt?: Date;
  /** Unique when given: enqueueing the same key again returns the job already stored. */
  idempotencyKey?: string;
  batchId?: string;
}

/** A validated message, with any template already rendered into subject, text and html. */
export interface NormalizedEmail extends EmailMessage {
  sendAt: Date | null;
  idempotencyKey: string | null;
  batchId: string | null;
}

export interface ValidationRules {
  maxBytes: number;
  /** The renderer, or its view for one batch (TemplateRenderer.forBatch). */
  templates: Pick<TemplateRenderer, "render">;
}

export const NO_BODY = "a body is required: text, html or templateId";
export const NO_SUBJECT = "subject is required";
export const NO_RECIPIENT = "at least one recipient is required (to, cc or bcc)";

const fail = (message: string): never => {
  throw new EmailValidationError(message);
};

/** Headers the queue sets from its own fields; taking them from `headers` would bypass validation. */
const RESERVED_HEADERS = new Set([
  "from",
  "to",
  "cc",
  "bcc",
  "reply-to",
  "subject",
  "message-id",
  "date",
  "sender",
  "mime-version",
  "content-type",
  "content-transfer-encoding",
]);
const HEADER_NAME = /^[\x21-\x39\x3b-\x7e]{1,100}$/;

/** CR or LF would end the header line and let the value write headers of its own. */
export function assertNoLineBreaks(field: string, value: string): void {
  if (/[\r\n\0]/.test(value)) fail(`${field} must not contain CR, LF or NUL`);
}

function optionalString(field: string, value: unknown, maxLength = 10_000): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") return fail(`${field} must be a string`);
  if (value.length > maxLength) fail(`${field} is longer than ${maxLength} characters`);
  return value;
}

/** RFC 5322 atext: what an unquoted word of a name, or a dot-atom's part, is made of. */
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
const DOT_ATOM = `${ATEXT}+(?:\\.${ATEXT}+)*`;
/** `local@domain`, both dot-atoms: an address as the parser would write it back, unchanged. */
const SIMPLE_ADDRESS = new RegExp(`^${DOT_ATOM}@${DOT_ATOM}$`);
/** `Name Words <local@domain>`: words of atext, one space apart and before the `<`. */
const NAMED_ADDRESS = new RegExp(`^(${ATEXT}+(?: ${ATEXT}+)*) <(${DOT_ATOM}@${DOT_ATOM})>$`);

/**
 * The common forms without the RFC 5322 parser, which costs tens of microseconds an address:
 * ASCII only, no quotes, comments, groups, lists or spare whitespace, so that what matches
 * is exactly what the parser would return for it (test/unit/email-addresses.test.ts compares
 * the two on tricky input). Anything else returns null and goes to the parser.
 */
export function simpleMailbox(entry: string): string | null {
  if (SIMPLE_ADDRESS.test(entry)) return entry;
  const named = NAMED_ADDRESS.exec(entry);
  return named ? `${quoteName(named[1] as string)} <${named[2]}>` : null;
}

/** Parses one entry (which may itself be a comma-separated list) into formatted mailboxes. */
export function parseMailboxes(field: string, entry: string): string[] {
  const simple = simpleMailbox(entry);
  if (simple !== null) return [simple];
  return parseWithRfc5322(field, entry);
}

/** The RFC 5322 parser (email-addresses), for every form the fast path does not take. */
export function parseWithRfc5322(field: string, entry: string): string[] {
  assertNoLineBreaks(field, entry);
  const parsed = addresses.parseAddressList({ input: entry, rfc6532: true });
  if (!parsed || parsed.length === 0) return fail(`${field}: "${entry}" is not an email address`);
  return parsed.map((item) => {
    if (item.type !== "mailbox") return fail(`${field}: "${entry}" is a group, not a mailbox`);
    return item.name ? `${quoteName(item.name)} <${item.address}>` : item.address;
  });
}

function quoteName(name: string): string {
  return `"${name.replace(/(["\\])/g, "\\$1")}"`;
}

function addressList(field: string, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  // One address as a string, the common call: no list to build and flatten.
  if (typeof value === "string") return parseMailboxes(field, value);
  if (!Array.isArray(value)) return fail(`${field} must be an address or a list of addresses`);
  if (value.length > 1000) fail(`${field} has more than 1000 addresses`);
  const out: string[] = [];
  for (const entry of value) {
    if (typeof entry !== "string") return fail(`${field} must be an address or a list of addresses`);
    for (const mailbox of parseMailboxes(field, entry)) out.push(mailbox);
  }
  return out;
}

export function oneMailbox(field: string, value: unknown): string | null {
  const text = optionalString(field, value, 1000);
  if (text === null) return null;
  const list = parseMailboxes(field, text);
  if (list.length !== 1) fail(`${field} must be one address`);
  return list[0] as string;
}

export function headerMap(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) return fail("headers must be an object of strings");
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    if (!HEADER_NAME.test(name)) fail(`header name "${name}" is not a valid header name`);
    if (RESERVED_HEADERS.has(name.toLowerCase())) fail(`header ${name} is set by the queue; use its own field`);
    if (typeof raw !== "string") fail(`header ${name} must be a string`);
    assertNoLineBreaks(`header ${name}`, raw as string);
    out[name] = raw as string;
  }
  return Object.keys(out).length > 0 ? out : null;
}

function variablesOf(value: unknown): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) return fail("variables must be an object");
  try {
    JSON.stringify(value);
  } catch {
    fail("variables must be plain JSON data");
  }
  return value as Record<string, unknown>;
}

function priorityOf(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || Math.abs(value) > 1_000_000) {
    return fail("priority must be an integer between -1000000 and 1000000 (lower runs first)");
  }
  return value;
}

function sendAtOf(value: unknown): Date | null {
  if (value === undefined || value === null) return null;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) return fail("sendAt must be a valid time");
  return value;
}

/** Checks everything and renders the template; throws EmailValidationError, storing nothing. */
export function normalizeEmail(input: EmailInput, rules: ValidationRules): NormalizedEmail {
  if (!input || typeof input !== "object") fail("an email must be an object");
  const to = addressList("to", input.to);
  const cc = addressList("cc", input.cc);
  const bcc = addressList("bcc", input.bcc);
  if (to.length + cc.length + bcc.length === 0) fail(NO_RECIPIENT);
  const from = oneMailbox("from", input.from);
  const replyTo = oneMailbox("replyTo", input.replyTo);
  const headers = headerMap(input.headers);
  const variables = variablesOf(input.variables);
  const templateId = optionalString("templateId", input.templateId, 100);
  let subject = optionalString("subject", input.subject, 2000);
  let text = optionalString("text", input.text, Number.MAX_SAFE_INTEGER);
  let html = optionalString("html", input.html, Number.MAX_SAFE_INTEGER);
  if (templateId !== null) {
    if (text !== null || html !== null) fail("give either templateId or text/html, not both");
    const rendered = rules.templates.render(templateId, variables ?? {});
    subject ??= rendered.subject;
    text = rendered.text;
    html = rendered.html;
  } else if (text === null && html === null) {
    fail(NO_BODY);
  }
  if (subject === null || subject.trim() === "") return fail(NO_SUBJECT);
  assertNoLineBreaks("subject", subject);
  const email: NormalizedEmail = {
    to,
    cc,
    bcc,
    from,
    replyTo,
    subject,
    text,
    html,
    templateId,
    variables,
    headers,
    priority: priorityOf(input.priority),
    sendAt: sendAtOf(input.sendAt),
    idempotencyKey: keyOf("idempotencyKey", input.idempotencyKey),
    batchId: keyOf("batchId", input.batchId),
  };
  checkSize(email, rules.maxBytes);
  return email;
}

export function checkSize(email: SizedParts, maxBytes: number): void {
  // UTF-8 takes at most 3 bytes a UTF-16 unit (a surrogate pair's 4 for its 2), so a message
  // whose units fit a third of the limit fits: no count of the bodies' bytes, which was a pass
  // over every body at each enqueue and again at each send.
  if (3 * messageUnits(email) <= maxBytes) return;
  const size = messageBytes(email);
  if (size > maxBytes) fail(`message is ${size} bytes, more than EMAIL_MAX_BYTES (${maxBytes})`);
}

function keyOf(field: string, value: unknown): string | null {
  const text = optionalString(field, value, 200);
  if (text === null) return null;
  if (text === "") fail(`${field} must not be empty`);
  assertNoLineBreaks(field, text);
  return text;
}

export type SizedParts = Pick<
  NormalizedEmail,
  "subject" | "text" | "html" | "to" | "cc" | "bcc" | "variables" | "headers"
>;

/** messageBytes' parts counted in UTF-16 units. */
function messageUnits(email: SizedParts): number {
  let units = email.subject.length + (email.text?.length ?? 0) + (email.html?.length ?? 0);
  units += listUnits(email.to) + listUnits(email.cc) + listUnits(email.bcc);
  if (email.variables) units += JSON.stringify(email.variables).length;
  if (email.headers) units += JSON.stringify(email.headers).length;
  return units;
}

function listUnits(list: readonly string[]): number {
  let units = 0;
  for (const address of list) units += address.length;
  return units;
}

/** Bodies, subject, addresses, headers and variables: what the row and the message will hold. */
export function messageBytes(email: SizedParts): number {
  const parts = [
    email.subject,
    email.text ?? "",
    email.html ?? "",
    ...email.to,
    ...email.cc,
    ...email.bcc,
    email.variables ? JSON.stringify(email.variables) : "",
    email.headers ? JSON.stringify(email.headers) : "",
  ];
  return parts.reduce((sum, part) => sum + Buffer.byteLength(part, "utf8"), 0);
}
