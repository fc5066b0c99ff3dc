import { parseInstant } from "../../../core/instant.js";
import type { EmailInput } from "./validate.js";
import { EmailValidationError } from "./validation-error.js";

const FIELDS = new Set([
  "to",
  "cc",
  "bcc",
  "from",
  "replyTo",
  "subject",
  "text",
  "html",
  "templateId",
  "variables",
  "headers",
  "priority",
  "sendAt",
  "idempotencyKey",
  "batchId",
]);

/**
 * The POST /emails body as an EmailInput. Types are checked by the validator; here only the
 * shape: an object, no unknown fields (a misspelt `subjet` would otherwise vanish silently),
 * and sendAt as an ISO 8601 time with an offset (the one parser of instants, core/instant.ts).
 */
export function emailInputFromJson(body: unknown): EmailInput {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new EmailValidationError("the body must be a JSON object");
  }
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) {
    throw new EmailValidationError(
      `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (known: ${[...FIELDS].join(", ")})`,
    );
  }
  const { sendAt, ...rest } = record;
  return { ...(rest as unknown as EmailInput), sendAt: parseSendAt(sendAt) };
}

function parseSendAt(value: unknown): Date | undefined {
  if (value === undefined || value === null) return undefined;
  return parseInstant(value, "sendAt", (message) => new EmailValidationError(message));
}
