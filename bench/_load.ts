import http from "node:http";
import { performance } from "node:perf_hooks";

/**
 * A closed-loop HTTP load: `connections` keep-alive connections, each sending its next POST as
 * soon as the previous answer arrived, for `seconds`. Latency is from the write of a request
 * to the end of its answer.
 */
export interface LoadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Answers by status code. */
  statuses: Map<number, number>;
  /** The ids of the 202 answers, to check each against the database. */
  ids: string[];
}

export async function postLoad(options: {
  port: number;
  path: string;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  body: (n: number) => string;
}): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const ids: string[] = [];
  let sent = 0;
  const start = performance.now();
  const end = start + options.seconds * 1000;
  const one = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const began = performance.now();
      const req = http.request(
        {
          agent,
          host: "127.0.0.1",
          port: options.port,
          path: options.path,
          method: "POST",
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            ...options.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            latencies.push(performance.now() - began);
            const status = res.statusCode ?? 0;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (status === 202) ids.push((JSON.parse(Buffer.concat(chunks).toString()) as { id: string }).id);
            resolve();
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const loop = async () => {
    while (performance.now() < end) await one(options.body(sent++));
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  const ms = performance.now() - start;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
  return {
    requests: latencies.length,
    perSecond: Math.round((latencies.length / ms) * 1000),
    p50: at(0.5),
    p99: at(0.99),
    statuses,
    ids,
  };
}
