import type { IncomingMessage } from "node:http";
import { BodyRefused, HttpError } from "./http-error.js";

/**
 * Request body bytes held at once across all requests. Without a bound, 16 parallel 19 MB
 * bodies took the process from 160 MB to 551 MB. A body alone may pass the limit (up to its
 * route's own maximum), so a limit below the largest route maximum slows big requests down to
 * one at a time instead of refusing them forever.
 */
export class BodyBudget {
  private inFlight = 0;

  constructor(readonly limit: number) {}

  get bytesInFlight(): number {
    return this.inFlight;
  }

  /** One request's share; `release` gives back whatever it took. */
  open(): BodyAccount {
    let held = 0;
    return {
      take: (n) => {
        const others = this.inFlight - held;
        if (others > 0 && this.inFlight + n > this.limit) return false;
        this.inFlight += n;
        held += n;
        return true;
      },
      release: () => {
        this.inFlight -= held;
        held = 0;
      },
    };
  }
}

export interface BodyAccount {
  /** False when `n` more bytes would pass the budget while other requests hold some. */
  take(n: number): boolean;
  release(): void;
}

/**
 * Only `application/json` (parameters such as charset allowed). `includes("json")` let
 * `text/plain; charset=json` through, and a browser sends text/plain, form types, or no type
 * at all (a Blob body) without a CORS preflight: refusing all of them means a page elsewhere
 * can send a body only after a preflight, which Steward never grants.
 */
export function requireJsonType(req: IncomingMessage): void {
  const type = req.headers["content-type"];
  const essence = type?.split(";")[0]?.trim().toLowerCase();
  if (essence !== "application/json") {
    throw new HttpError(415, "send the body as application/json (Content-Type: application/json)");
  }
}

/** Reads and parses a JSON body of at most `limit` bytes, charged to `account`. */
export async function readJson(req: IncomingMessage, limit: number, account: BodyAccount): Promise<unknown> {
  requireJsonType(req);
  const text = (await readBody(req, limit, account)).toString("utf8");
  if (text.trim() === "") throw new HttpError(400, "empty body; send a JSON object");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `malformed JSON: ${(error as Error).message}`);
  }
}

function readBody(req: IncomingMessage, limit: number, account: BodyAccount): Promise<Buffer> {
  const declared = req.headers["content-length"] === undefined ? undefined : Number(req.headers["content-length"]);
  // A declared length is refused, or charged whole, before a byte is read.
  if (declared !== undefined && declared > limit) return Promise.reject(tooLarge(limit));
  if (declared !== undefined && !account.take(declared)) return Promise.reject(busy());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const detach = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
    };
    const refuse = (error: HttpError) => {
      detach();
      // Keep the rest flowing to nowhere: a paused request stalls the connection's parser.
      req.resume();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return refuse(tooLarge(limit));
      if (declared === undefined && !account.take(chunk.length)) return refuse(busy());
      chunks.push(chunk);
    };
    const onEnd = () => {
      detach();
      resolve(Buffer.concat(chunks, size));
    };
    const onClose = () => {
      detach();
      reject(new HttpError(400, "the request body was cut short"));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onClose);
  });
}

const tooLarge = (limit: number) => new BodyRefused(413, `body larger than ${limit} bytes`);

const busy = () =>
  new BodyRefused(
    503,
    "too many request bytes in flight (STATUS_MAX_BODY_BYTES_IN_FLIGHT); retry shortly",
    {},
    { "retry-after": "1" },
  );
