import http from "node:http";
import net from "node:net";

export interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON when the answer is JSON, else the text. */
  body: unknown;
  text: string;
}

/**
 * One request through node:http, which (unlike fetch) sends exactly the headers given: a
 * forged Host, an Origin, or no Content-Type at all.
 */
export function httpRequest(
  port: number,
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    agent?: http.Agent | false;
  },
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path,
        headers: options.headers,
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/**
 * A client that writes its whole request before it reads a byte of the answer, as simple
 * clients do. Resolves with the raw answer once the server closes, or rejects with the socket
 * error (ECONNRESET, EPIPE) when the server resets the connection instead.
 */
export function sendAllThenRead(port: number, head: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.pause();
    let answer = "";
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString("latin1");
    });
    socket.on("error", reject);
    socket.on("end", () => resolve(answer));
    socket.write(head);
    socket.write(body, (error) => {
      if (!error) socket.resume();
    });
  });
}
