// The live stream: one EventSource for the whole page. The browser reconnects by itself after
// a dropped connection; after a refused one (401, server gone) it gives up, so this retries
// with a capped backoff. The server sends the current state first on every connect.
import { applyEvent, EVENT_TYPES, type EventType, emptyState, type LiveState } from "./store.js";

export type Connection = "connecting" | "live" | "reconnecting";
type Listener = (state: LiveState, type: EventType) => void;

const MAX_RETRY_MS = 30_000;

export class Live {
  state: LiveState = emptyState();
  connection: Connection = "connecting";
  private source: EventSource | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly connectionListeners = new Set<(c: Connection) => void>();
  private retryMs = 1000;
  private retryTimer: number | undefined;

  constructor(private readonly url = "/events") {}

  start(): void {
    this.stop();
    const source = new EventSource(this.url);
    this.source = source;
    source.onopen = () => {
      this.retryMs = 1000;
      this.setConnection("live");
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        this.retryTimer = window.setTimeout(() => this.start(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
      }
      this.setConnection("reconnecting");
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (event) => this.receive(type, (event as MessageEvent<string>).data));
    }
  }

  stop(): void {
    window.clearTimeout(this.retryTimer);
    this.source?.close();
    this.source = null;
  }

  /** Calls `fn` after every message; returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onConnection(fn: (c: Connection) => void): void {
    this.connectionListeners.add(fn);
    fn(this.connection);
  }

  private receive(type: EventType, raw: string): void {
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      return; // a garbled message: the next one carries the state again
    }
    this.state = applyEvent(this.state, type, data);
    for (const fn of this.listeners) fn(this.state, type);
  }

  private setConnection(c: Connection): void {
    this.connection = c;
    for (const fn of this.connectionListeners) fn(c);
  }
}
