import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { type Clock, systemClock } from "../core/clock.js";
import { UserError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { type Credential, TokenCheck } from "./auth.js";
import { type BodyAccount, BodyBudget, readJson } from "./body.js";
import { checkHost, checkOrigin } from "./host-check.js";
import { BodyRefused, HttpError } from "./http-error.js";

export { HttpError } from "./http-error.js";

export interface Request {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  /** Reads and parses the JSON body; a malformed or oversized body is an HttpError 4xx. */
  json(): Promise<unknown>;
  /**
   * For an `open` route that guards part of its answer (GET / lists the endpoints only to an
   * admin): throws 401/403 as a guarded route would. Undefined when no token is set.
   */
  authorize(): Credential | undefined;
  /** The request as Node gave it (the session routes log a refused token with its address). */
  raw: IncomingMessage;
}

export interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /**
   * A long answer (Server-Sent Events): the head is written with `status`, `contentType` and
   * `headers`, then `stream` owns the response until it ends it or the client leaves.
   */
  stream?(res: ServerResponse): void;
}

export type Handler = (req: Request) => Promise<Reply> | Reply;

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path with `:name` segments, e.g. `/status/:name`. */
  path: string;
  /**
   * Mutating routes: `Authorization: Bearer ADMIN_TOKEN` (or the dashboard's session cookie with
   * its CSRF header) when a token is set.
   */
  admin?: boolean;
  /** Answers without the token even off loopback (health checks; /metrics with METRICS_PUBLIC). */
  open?: boolean;
  /** Largest accepted body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  handler: Handler;
}

/** One line of `GET /`: what a client may call here, and whether it needs the token. */
export interface Endpoint {
  method: string;
  path: string;
  admin: boolean;
  /** Needs `Authorization: Bearer ADMIN_TOKEN` on this server as configured. */
  token: boolean;
}

export interface RouterOptions {
  adminToken?: string;
  /** STATUS_HOST is not loopback: every route not marked `open` needs the token, reads too. */
  tokenEverywhere?: boolean;
  /** Host names accepted besides localhost and IP literals (STATUS_ALLOWED_HOSTS). */
  allowedHosts?: readonly string[];
  /** STATUS_MAX_BODY_BYTES_IN_FLIGHT. */
  maxBodyBytesInFlight?: number;
  clock?: Clock;
  logger?: Logger;
  /** Where the refused-token counter is registered. */
  registry?: Registry;
}

export const json = (status: number, body: unknown): Reply => ({ status, body });

const DEFAULT_MAX_BODY = 1024 * 1024;

interface Compiled extends Route {
  pattern: RegExp;
  keys: string[];
}

export class Router {
  private readonly routes: Compiled[] = [];
  private readonly tokens: TokenCheck;
  private readonly budget: BodyBudget;

  constructor(private readonly options: RouterOptions = {}) {
    this.tokens = new TokenCheck(options.adminToken, {
      clock: options.clock ?? systemClock,
      logger: options.logger,
      registry: options.registry,
    });
    this.budget = new BodyBudget(options.maxBodyBytesInFlight ?? 32 * 1024 * 1024);
  }

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

  /** Every route, in the order added. */
  endpoints(): Endpoint[] {
    return this.routes.map((r) => ({
      method: r.method,
      path: r.path,
      admin: r.admin === true,
      token: this.tokens.enabled && this.needsToken(r),
    }));
  }

  /** The token check, and the dashboard's sessions when a token is set. */
  get auth(): TokenCheck {
    return this.tokens;
  }

  /** Off loopback with a token: a read not marked `open` needs it too. */
  get readsNeedToken(): boolean {
    return this.options.tokenEverywhere === true && this.tokens.enabled;
  }

  /** Body bytes held by requests right now (tests, metrics). */
  get bodyBytesInFlight(): number {
    return this.budget.bytesInFlight;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const account = this.budget.open();
    let reply: Reply;
    try {
      reply = await this.dispatch(req, account);
    } catch (error) {
      reply = errorReply(error, res);
    } finally {
      account.release();
    }
    if (res.destroyed) return; // the client went away; nobody reads an answer
    if (reply.stream) {
      res.writeHead(reply.status, { "content-type": reply.contentType ?? "text/plain", ...reply.headers });
      // HEAD asks for the head alone: a stream would never end.
      if (req.method === "HEAD") res.end();
      else reply.stream(res);
      return;
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

  private async dispatch(req: IncomingMessage, account: BodyAccount): Promise<Reply> {
    checkHost(req.headers, this.options.allowedHosts ?? []);
    checkOrigin(req.headers);
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    let pathMatched = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== method && !(method === "HEAD" && route.method === "GET")) continue;
      if (this.needsToken(route)) this.tokens.require(req);
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
        json: () => readJson(req, route.maxBodyBytes ?? DEFAULT_MAX_BODY, account),
        authorize: () => this.tokens.require(req),
        raw: req,
      });
    }
    if (pathMatched) throw new HttpError(405, `method ${method} not allowed on ${url.pathname}`);
    throw new HttpError(404, `no such endpoint: ${url.pathname}`);
  }

  private needsToken(route: Route): boolean {
    return route.admin === true || (this.options.tokenEverywhere === true && route.open !== true);
  }
}

function errorReply(error: unknown, res: ServerResponse): Reply {
  if (error instanceof HttpError) {
    // Connection: close makes Node end the socket after the answer; the server lingers so
    // the client reads it (see server.ts).
    const close: Record<string, string> = error instanceof BodyRefused ? { connection: "close" } : {};
    return { ...json(error.status, { error: error.message, ...error.extra }), headers: { ...error.headers, ...close } };
  }
  if (error instanceof UserError) return json(400, { error: error.message });
  res.emit("steward:error", error);
  return json(500, { error: "internal error" });
}
