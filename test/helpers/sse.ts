import http from "node:http";

export interface SseMessage {
  type: string;
  data: unknown;
}

/**
 * A Server-Sent Events client for tests: keeps every message received, in order, and resolves
 * `next(match)` with the first one (already received or still to come) that `match` accepts
 * after those already taken.
 */
export class SseClient {
  readonly messages: SseMessage[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  private readonly waiters: Array<{
    from: number;
    match: (m: SseMessage) => boolean;
    resolve: (m: SseMessage) => void;
  }> = [];
  private req: http.ClientRequest | undefined;

  static connect(port: number, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      client.req = http.get({ host: "127.0.0.1", port, path: "/events", headers, agent: false }, (res) => {
        client.status = res.statusCode ?? 0;
        client.headers = res.headers;
        let buffer = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
            client.receive(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        });
        resolve(client);
      });
      client.req.on("error", reject);
    });
  }

  /** The first message from index `from` on that `match` accepts. */
  next(match: (m: SseMessage) => boolean, from = 0): Promise<SseMessage> {
    const seen = this.messages.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ from, match, resolve }));
  }

  close(): void {
    this.req?.destroy();
  }

  private receive(block: string): void {
    let type = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) type = line.slice(7);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
    }
    if (data.length === 0) return;
    const message = { type, data: JSON.parse(data.join("\n")) as unknown };
    this.messages.push(message);
    const index = this.messages.length - 1;
    for (const w of [...this.waiters]) {
      if (index < w.from || !w.match(message)) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(message);
    }
  }
}
