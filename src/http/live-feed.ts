import type { ServerResponse } from "node:http";
import type { Clock } from "../core/clock.js";
import { toError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Route } from "./router.js";

/** One message of the stream: its SSE event type, and what it is about (a service, a backup). */
export interface LiveItem {
  type: string;
  /** Messages with the same type and key replace each other in the state a newcomer is sent. */
  key: string;
  data: unknown;
}

/**
 * A snapshot read every few seconds while someone listens, and for each client as it connects:
 * only what changed since the last read is sent on. For what has no event of its own (counts).
 */
export interface LiveSource {
  name: string;
  read(): Promise<LiveItem[]> | LiveItem[];
}

export interface LiveFeedOptions {
  clock: Clock;
  logger: Logger;
  /** How often the sources are read while a client listens. */
  everyMs?: number;
  /** Remembered messages (a finished backup's last progress) are dropped after this long. */
  keepMs?: number;
}

/** A client that has this much unsent is too slow to follow: it is dropped and reconnects. */
const MAX_BUFFERED = 1024 * 1024;
const KEEPALIVE_MS = 15_000;

/**
 * GET /events: Server-Sent Events for the dashboard. A client that connects (or reconnects)
 * first gets the current state, every source read afresh and the messages remembered, and
 * then each change as it happens: events published by the host (an alert, a backup's
 * progress, a service's run) at once, and the sources' snapshots every `everyMs`, sent only
 * when they differ from the last ones sent.
 */
export class LiveFeed {
  private readonly clients = new Set<ServerResponse>();
  private readonly sources: LiveSource[] = [];
  /** Last sent per type and key: what changed, and what a newcomer is told. */
  private readonly last = new Map<string, { item: LiveItem; text: string; at: number; fromSource: boolean }>();
  private loop: Promise<void> | undefined;
  private stopLoop = new AbortController();
  private closed = false;

  constructor(private readonly options: LiveFeedOptions) {}

  get listeners(): number {
    return this.clients.size;
  }

  addSource(source: LiveSource): this {
    this.sources.push(source);
    return this;
  }

  /** Sends `item` to every client now, and keeps it as the current state of its key. */
  publish(item: LiveItem): void {
    this.remember(item, false);
    this.broadcast(item);
  }

  /** The route: GET /events, guarded like any other read. */
  route(): Route {
    return {
      method: "GET",
      path: "/events",
      handler: () => ({
        status: 200,
        contentType: "text/event-stream; charset=utf-8",
        // no-transform: a compressing proxy would hold messages back until its buffer fills.
        headers: { "cache-control": "no-store, no-transform", "x-accel-buffering": "no" },
        body: "",
        stream: (res) => void this.attach(res),
      }),
    };
  }

  /** Ends every stream (shutdown: an open stream would hold the server's close forever). */
  close(): void {
    this.closed = true;
    this.stopLoop.abort();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private async attach(res: ServerResponse): Promise<void> {
    if (this.closed) {
      res.end();
      return;
    }
    // retry: how long the browser waits before reconnecting after a dropped stream.
    res.write("retry: 2000\n\n");
    // The state first: the sources read now, and then what was published and is still current.
    const fresh = await this.readSources();
    if (res.destroyed || this.closed) return;
    for (const item of fresh) {
      // Newer than what the others were sent: they hear of it too (res is not among them yet).
      if (this.remember(item, true)) this.broadcast(item);
      res.write(frame(item));
    }
    this.forgetOld();
    const readNow = new Set(fresh.map(keyOf));
    for (const { item } of this.last.values()) if (!readNow.has(keyOf(item))) res.write(frame(item));
    this.clients.add(res);
    res.on("close", () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopLoop.abort();
    });
    this.loop ??= this.poll();
  }

  private async poll(): Promise<void> {
    this.stopLoop = new AbortController();
    const stop = this.stopLoop.signal;
    const every = this.options.everyMs ?? 2_000;
    let sinceKeepalive = 0;
    try {
      while (!stop.aborted && this.clients.size > 0) {
        await this.options.clock.sleep(every, stop);
        if (stop.aborted) break;
        for (const item of await this.readSources()) {
          if (this.remember(item, true)) this.broadcast(item);
        }
        sinceKeepalive += every;
        if (sinceKeepalive >= KEEPALIVE_MS) {
          sinceKeepalive = 0;
          // A comment line: keeps idle proxies from closing a quiet stream.
          for (const res of this.clients) res.write(": keepalive\n\n");
        }
      }
    } finally {
      this.loop = undefined;
      // A client that came while this loop was stopping for the last one's leaving.
      if (this.clients.size > 0 && !this.closed) this.loop = this.poll();
    }
  }

  private async readSources(): Promise<LiveItem[]> {
    const out: LiveItem[] = [];
    for (const source of this.sources) {
      try {
        out.push(...(await source.read()));
      } catch (error) {
        this.options.logger.warn({ source: source.name, err: toError(error) }, "live source failed");
      }
    }
    return out;
  }

  /** True when `item` differs from the last one of its key. */
  private remember(item: LiveItem, fromSource: boolean): boolean {
    const text = JSON.stringify(item.data);
    const key = keyOf(item);
    const before = this.last.get(key);
    this.last.set(key, { item, text, at: this.options.clock.now().getTime(), fromSource });
    return before?.text !== text;
  }

  /** Published messages are the state only for a while (a backup that ended an hour ago is not). */
  private forgetOld(): void {
    const keep = this.options.keepMs ?? 15 * 60_000;
    const now = this.options.clock.now().getTime();
    for (const [key, entry] of this.last) if (!entry.fromSource && now - entry.at > keep) this.last.delete(key);
  }

  private broadcast(item: LiveItem): void {
    const text = frame(item);
    for (const res of this.clients) {
      if (res.writableLength > MAX_BUFFERED) {
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }
}

const keyOf = (item: LiveItem) => `${item.type}\u0000${item.key}`;

function frame(item: LiveItem): string {
  // JSON has no raw newlines, so the data fits one `data:` line.
  return `event: ${item.type}\ndata: ${JSON.stringify(item.data)}\n\n`;
}
