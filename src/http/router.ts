import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { UserError } from "../core/errors.js";

export interface Request {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  /** Reads and parses the JSON body; a malformed or oversized body is an HttpError 4xx. */
  json(): Promise<unknown>;
}

export interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Handler = (req: Request) => Promise<Reply> | Reply;

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path with `:name` segments, e.g. `/status/:name`. */
  path: string;
  /** Mutating routes: `Authorization: Bearer ADMIN_TOKEN` when a token is set. */
  admin?: boolean;
  /** Largest accepted body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  handler: Handler;
}

/** A 4xx (or 5xx) with a JSON reason; anything else thrown becomes a 500. */
export class HttpError extends UserError {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const json = (status: number, body: unknown): Reply => ({ status, body });

interface Compiled extends Route {
  pattern: RegExp;
  keys: string[];
}

export class Router {
  private readonly routes: Compiled[] = [];

  constructor(private readonly adminToken: string | undefined) {}

  add(route: Route): this {
    const keys: string[] = [];
    const source = route.path
      .split("/")
      .map((part) => {
        if (!part.startsWith(":")) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        keys.push(part.slice(1));
        return "([^/]+)";
      })
      .join("/");
    this.routes.push({ ...route, pattern: new RegExp(`^${source}/?$`), keys });
    return this;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.dispatch(req);
    } catch (error) {
      if (error instanceof HttpError) reply = json(error.status, { error: error.message, ...error.extra });
      else if (error instanceof UserError) reply = json(400, { error: error.message });
      else {
        reply = json(500, { error: "internal error" });
        res.emit("steward:error", error);
      }
    }
    const isText = typeof reply.body === "string";
    const payload = isText ? (reply.body as string) : `${JSON.stringify(reply.body)}\n`;
    res.writeHead(reply.status, {
      "content-type": reply.contentType ?? (isText ? "text/plain; charset=utf-8" : "application/json"),
      "content-length": Buffer.byteLength(payload),
      ...reply.headers,
    });
    res.end(payload);
  }

  private async dispatch(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    let pathMatched = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== method && !(method === "HEAD" && route.method === "GET")) continue;
      if (route.admin) this.authorize(req);
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => {
        try {
          params[key] = decodeURIComponent(match[i + 1] ?? "");
        } catch {
          throw new HttpError(400, `malformed percent-encoding in ${url.pathname}`);
        }
      });
      return route.handler({
        method,
        path: url.pathname,
        params,
        query: url.searchParams,
        headers: req.headers,
        json: () => readJson(req, route.maxBodyBytes ?? 1024 * 1024),
      });
    }
    if (pathMatched) throw new HttpError(405, `method ${method} not allowed on ${url.pathname}`);
    throw new HttpError(404, `no such endpoint: ${url.pathname}`);
  }

  private authorize(req: IncomingMessage): void {
    if (!this.adminToken) return;
    const header = req.headers.authorization ?? "";
    const given = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
    const a = Buffer.from(given);
    const b = Buffer.from(this.adminToken);
    // Constant-time comparison: the token must not leak through response timing.
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new HttpError(401, "missing or wrong admin token (Authorization: Bearer ADMIN_TOKEN)");
    }
  }
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers["content-type"] ?? "";
  if (type && !type.includes("json")) throw new HttpError(415, "send the body as application/json");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") throw new HttpError(400, "empty body; send a JSON object");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `malformed JSON: ${(error as Error).message}`);
  }
}
