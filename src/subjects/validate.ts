import emailAddresses from "email-addresses";
import { parseInstant as readInstant } from "../core/instant.js";
import { HttpError } from "../http/router.js";
import {
  type PortraitInput,
  type ProjectInput,
  ROTATION_TYPES,
  type RotationType,
  VIDEO_STATUSES,
  type VideoInput,
  type VideoStatus,
} from "./types.js";

/**
 * Validation of the JSON bodies of PUT /projects, /portraits and /videos. Every problem is a
 * 400 naming the field, thrown before anything is written. Times must carry an offset: the
 * seed system dropped time zones and compared times as strings, so a naive time is refused
 * rather than guessed at.
 */

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const bad = (message: string): never => {
  throw new HttpError(400, message);
};

export function parseId(raw: string | undefined, what: string): string {
  if (raw === undefined || !ID.test(raw)) {
    bad(`${what} id "${raw ?? ""}" is not 1-128 letters, digits or . _ : - (starting with a letter or digit)`);
  }
  return raw as string;
}

/** An ISO 8601 time with an offset, as an instant (core/instant.ts); null stays null. */
export function parseInstant(value: unknown, field: string): Date | null {
  if (value === null || value === undefined) return null;
  return readInstant(value, field, (message) => new HttpError(400, message));
}

/** One plain address (local@domain), checked by the email-addresses RFC 5322 parser. */
export function parseEmail(value: unknown, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") return bad(`${field} must be an email address or null`);
  const text = value.trim();
  const parsed = emailAddresses.parseOneAddress({ input: text, rejectTLD: false });
  if (parsed?.type !== "mailbox" || parsed.name !== null || parsed.address !== text || !parsed.domain) {
    return bad(`${field} "${value}" is not an email address (local@domain)`);
  }
  return text;
}

function text(value: unknown, field: string, opts: { required?: boolean; max: number }): string | null {
  if (value === null || value === undefined) {
    if (opts.required) bad(`${field} is required`);
    return null;
  }
  if (typeof value !== "string") return bad(`${field} must be a string`);
  if (opts.required && value.trim() === "") bad(`${field} must not be empty`);
  if (value.length > opts.max) bad(`${field} is longer than ${opts.max} characters`);
  return value;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[], def: T): T {
  if (value === null || value === undefined) return def;
  if (typeof value !== "string" || !allowed.includes(value as T)) {
    return bad(`${field} ${JSON.stringify(value)} is not one of: ${allowed.join(", ")}`);
  }
  return value as T;
}

/**
 * The body must be an object with only the named fields. Fields a GET returns but PUT does
 * not take (computed or scheduler-owned) are ignored, so a client may send back what it read.
 */
function fields(body: unknown, accepted: readonly string[], readOnly: readonly string[]): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) bad("the body must be a JSON object");
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!accepted.includes(key) && !readOnly.includes(key)) {
      bad(`unknown field "${key}" (fields are camelCase: ${accepted.join(", ")})`);
    }
  }
  return record;
}

const STORED = ["id", "createdAt", "updatedAt"];
const LIFECYCLED = [...STORED, "lifecycleStatus", "lifecycleChangedAt", "notices", "noticeRecipient"];

export function projectInput(body: unknown): ProjectInput {
  const b = fields(body, ["name", "ownerEmail", "subscriptionEnd"], LIFECYCLED);
  return {
    name: text(b.name, "name", { required: true, max: 500 }) as string,
    ownerEmail: parseEmail(b.ownerEmail, "ownerEmail"),
    subscriptionEnd: parseInstant(b.subscriptionEnd, "subscriptionEnd"),
  };
}

export function portraitInput(body: unknown): PortraitInput {
  const b = fields(body, ["projectId", "title", "ownerEmail", "subscriptionEnd"], LIFECYCLED);
  const projectId = b.projectId === null || b.projectId === undefined ? null : b.projectId;
  if (projectId !== null && (typeof projectId !== "string" || !ID.test(projectId))) {
    bad(`projectId ${JSON.stringify(projectId)} is not a project id`);
  }
  return {
    projectId: projectId as string | null,
    title: text(b.title, "title", { max: 500 }) ?? "",
    ownerEmail: parseEmail(b.ownerEmail, "ownerEmail"),
    subscriptionEnd: parseInstant(b.subscriptionEnd, "subscriptionEnd"),
  };
}

const VIDEO_READ_ONLY = [...STORED, "shown", "state", "eligible", "lastActivatedAt", "lastDeactivatedAt", "archivedAt"];

export function videoInput(body: unknown): VideoInput {
  const b = fields(
    body,
    ["portraitId", "title", "mediaUrl", "startAt", "endAt", "rotationType", "rotationOrder", "status"],
    VIDEO_READ_ONLY,
  );
  if (typeof b.portraitId !== "string" || !ID.test(b.portraitId)) {
    bad(`portraitId is required and must be a portrait id (got ${JSON.stringify(b.portraitId ?? null)})`);
  }
  const startAt = parseInstant(b.startAt, "startAt");
  const endAt = parseInstant(b.endAt, "endAt");
  if (startAt && endAt && endAt.getTime() <= startAt.getTime()) {
    bad(`endAt (${endAt.toISOString()}) must be after startAt (${startAt.toISOString()})`);
  }
  const order = b.rotationOrder ?? 0;
  if (typeof order !== "number" || !Number.isInteger(order) || Math.abs(order) > 2_147_483_647) {
    bad(`rotationOrder ${JSON.stringify(order)} is not a 32-bit integer`);
  }
  return {
    portraitId: b.portraitId as string,
    title: text(b.title, "title", { max: 500 }) ?? "",
    mediaUrl: text(b.mediaUrl, "mediaUrl", { max: 2048 }),
    startAt,
    endAt,
    rotationType: oneOf<RotationType>(b.rotationType, "rotationType", ROTATION_TYPES, "none"),
    rotationOrder: order as number,
    status: oneOf<VideoStatus>(b.status, "status", VIDEO_STATUSES, "active"),
  };
}
