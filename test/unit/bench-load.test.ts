import http from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { postLoad } from "../../bench/_load.js";

/**
 * The HTTP bench's load generator reads answers off raw sockets by their Content-Length: every
 * answer must be counted once, with its status and its id, however the bytes arrive.
 */
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function listening(server: net.Server): Promise<number> {
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as http.Server).closeAllConnections?.();
      }),
  );
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
  );
}

const body = (n: number) => JSON.stringify({ n });

describe("postLoad", () => {
  it("counts every answer by status and keeps the id of each 202", async () => {
    let served = 0;
    const seen: unknown[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const { n } = JSON.parse(Buffer.concat(chunks).toString()) as { n: number };
        seen.push(req.headers.authorization);
        served += 1;
        // Every third refused, so that two statuses are counted.
        const status = n % 3 === 0 ? 400 : 202;
        const payload = JSON.stringify(status === 202 ? { id: `job-${n}` } : { error: "no" });
        res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
        res.end(payload);
      });
    });
    const port = await listening(server);
    const result = await postLoad({
      port,
      path: "/emails",
      connections: 4,
      seconds: 0.3,
      headers: { authorization: "Bearer t" },
      body,
    });
    expect(result.requests).toBe(served);
    expect(result.requests).toBeGreaterThan(10);
    const accepted = result.statuses.get(202) ?? 0;
    expect(accepted + (result.statuses.get(400) ?? 0)).toBe(served);
    expect(result.ids).toHaveLength(accepted);
    expect(new Set(result.ids).size).toBe(accepted);
    expect(result.ids.every((id) => /^job-\d+$/.test(id))).toBe(true);
    expect(new Set(seen)).toEqual(new Set(["Bearer t"]));
    expect(result.p99).toBeGreaterThanOrEqual(result.p50);
    expect(result.loadCpu).toBeGreaterThan(0);
  });

  it("reads an answer whose body arrives in two pieces", async () => {
    let n = 0;
    const server = net.createServer((socket) => {
      socket.on("data", () => {
        n += 1;
        const payload = JSON.stringify({ id: `job-${n}` });
        const answer = `HTTP/1.1 202 Accepted\r\nContent-Length: ${payload.length}\r\n\r\n${payload}`;
        // The head and half the body now, the rest a moment later.
        socket.write(answer.slice(0, answer.length - 5));
        setTimeout(() => socket.write(answer.slice(answer.length - 5)), 5);
      });
    });
    const port = await listening(server);
    const result = await postLoad({ port, path: "/emails", connections: 2, seconds: 0.2, body });
    expect(result.requests).toBeGreaterThan(2);
    expect(result.statuses.get(202)).toBe(result.requests);
    expect(result.ids).toHaveLength(result.requests);
  });

  it("fails on an answer without Content-Length instead of guessing where it ends", async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(202, { "content-type": "application/json" });
        res.write("{");
        res.end('"id":"x"}');
      });
    });
    const port = await listening(server);
    await expect(postLoad({ port, path: "/emails", connections: 1, seconds: 0.2, body })).rejects.toThrow(
      /without Content-Length/,
    );
  });
});
