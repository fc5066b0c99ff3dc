// A stand-in for Steward's admin API, for the dashboard's browser tests and screenshots. It
// serves the built dashboard through the real dashboardAssets() and Router (so the host and
// origin checks and the security headers are the real ones), answers the contract's routes
// from dashboard-data.ts, records every request, and scripts the /events stream.
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { dashboardAssets } from "../../src/http/dashboard-assets.js";
import { HttpError, json, type Request, Router } from "../../src/http/router.js";
import { type FixtureData, fixtureData } from "./dashboard-data.js";
import { addFixtureRoutes } from "./dashboard-routes.js";
import { projectRoot } from "./steward-process.js";

export interface Received {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface FixtureOptions {
  /** Require a login with this token, as Steward does with ADMIN_TOKEN off loopback. */
  token?: string;
  data?: FixtureData;
}

type Waiter = { match: (r: Received) => boolean; resolve: (r: Received) => void };

export class DashboardFixture {
  readonly received: Received[] = [];
  readonly data: FixtureData;
  readonly csrf = randomBytes(16).toString("hex");
  private readonly sessions = new Set<string>();
  private readonly streams = new Set<http.ServerResponse>();
  private readonly waiters: Waiter[] = [];
  private readonly streamWaiters: (() => void)[] = [];
  private readonly sockets = new Set<Socket>();
  private server!: http.Server;
  port = 0;

  private constructor(readonly options: FixtureOptions) {
    this.data = options.data ?? fixtureData();
  }

  static async start(options: FixtureOptions = {}): Promise<DashboardFixture> {
    const fixture = new DashboardFixture(options);
    await fixture.listen();
    return fixture;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The first request (already received or still to come) that `match` accepts. */
  waitFor(match: (r: Received) => boolean): Promise<Received> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Resolves once at least `n` pages hold the /events stream open. */
  waitForStreams(n = 1): Promise<void> {
    if (this.streams.size >= n) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => (this.streams.size >= n ? resolve() : this.streamWaiters.push(check));
      this.streamWaiters.push(check);
    });
  }

  /** Sends one SSE message to every open stream. */
  emit(type: string, data: unknown): void {
    const frame = `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.streams) res.write(frame);
  }

  /** Ends every open stream; the browser's EventSource then reconnects. */
  dropStreams(): void {
    for (const res of this.streams) res.destroy();
    this.streams.clear();
  }

  stats() {
    const counts = { pending: 0, sending: 0, sent: 0, failed: 0, cancelled: 0 };
    for (const job of this.data.jobs) counts[job.status] += 1;
    const pending = this.data.jobs.filter((j) => j.status === "pending").map((j) => Date.parse(j.createdAt));
    const oldest = pending.length > 0 ? Math.round((this.data.now.getTime() - Math.min(...pending)) / 1000) : null;
    return { counts, oldestPendingAgeSeconds: oldest, perMinute: this.data.perMinute, paused: this.data.paused };
  }

  /** Whether the request may pass: with a token, only a session cookie from POST /session does. */
  authorize(req: Request, mutating: boolean): void {
    if (this.options.token === undefined) return;
    const cookie = /(?:^|;\s*)steward_session=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
    if (cookie === undefined || !this.sessions.has(cookie)) throw new HttpError(401, "log in first");
    if (mutating && req.headers["x-steward-csrf"] !== this.csrf)
      throw new HttpError(403, "missing or wrong X-Steward-CSRF");
  }

  login(token: unknown): { headers: Record<string, string> } {
    if (token !== this.options.token) throw new HttpError(401, "wrong token");
    const id = randomBytes(16).toString("hex");
    this.sessions.add(id);
    return { headers: { "set-cookie": `steward_session=${id}; HttpOnly; SameSite=Strict; Path=/` } };
  }

  record(req: Request, body: unknown): void {
    const received: Received = {
      method: req.method,
      path: req.path,
      query: Object.fromEntries(req.query),
      headers: req.headers,
      body,
    };
    this.received.push(received);
    for (const w of [...this.waiters]) {
      if (!w.match(received)) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(received);
    }
  }

  async close(): Promise<void> {
    this.dropStreams();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async listen(): Promise<void> {
    const router = new Router();
    const assets = dashboardAssets(`${projectRoot}/dist/dashboard`, {
      otherwise: () => json(200, { name: "steward fixture" }),
    });
    router
      .add({ method: "GET", path: "/", handler: assets })
      .add({ method: "GET", path: "/assets/:file", handler: assets });
    addFixtureRoutes(router, this);
    this.server = http.createServer((req, res) => {
      if (req.url === "/events") this.openStream(req, res);
      else void router.handle(req, res);
    });
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private openStream(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.options.token !== undefined) {
      const cookie = /(?:^|;\s*)steward_session=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
      if (cookie === undefined || !this.sessions.has(cookie)) {
        res.writeHead(401, { "content-type": "application/json" }).end('{"error":"log in first"}\n');
        return;
      }
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
    // retry: the browser's reconnect delay, short so the reconnect test does not wait 3 s.
    res.write("retry: 200\n\n");
    // The contract: a client that connects gets the current state first.
    res.write(`event: counts\ndata: ${JSON.stringify(this.stats())}\n\n`);
    for (const s of this.data.services) res.write(`event: service\ndata: ${JSON.stringify(s)}\n\n`);
    this.streams.add(res);
    req.on("close", () => this.streams.delete(res));
    for (const check of this.streamWaiters.splice(0)) check();
  }
}
