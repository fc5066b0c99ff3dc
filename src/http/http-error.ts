import { UserError } from "../core/errors.js";

/** A 4xx (or 5xx) with a JSON reason; anything else thrown becomes a 500. */
export class HttpError extends UserError {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    /** Response headers the answer needs (Retry-After, ...). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * A body refused before it was read to the end (413, 503). The rest of it is still on the
 * wire, so the answer closes the connection: a keep-alive client would otherwise send its next
 * request behind bytes the server never reads.
 */
export class BodyRefused extends HttpError {}
