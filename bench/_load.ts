import net from "node:net";
import { performance } from "node:perf_hooks";

/**
 * A closed-loop HTTP load: `connections` keep-alive connections, each sending its next POST as
 * soon as the previous answer arrived, for `seconds`. Latency is from the write of a request
 * to the end of its answer.
 *
 * Why raw sockets and not node:http's client: on a 2-core machine the load and the server
 * share the cores, and node:http's client spent about as much CPU a request as the server it
 * measured (an agent, a request object, header objects and a parser a request), so the figure
 * was the client's as much as the server's. Here a request is one pre-built string written to
 * the socket, and an answer is read by its status line and Content-Length alone. The servers
 * measured answer with a Content-Length; an answer without one (chunked) is a failure, not a
 * guess.
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
  /** CPU the load itself used, as a share of one core over the run. */
  loadCpu: number;
}

interface Answer {
  status: number;
  body: string;
}

/**
 * Takes whole answers off the front of `buffer` (latin1, so a character is a byte and
 * Content-Length counts characters); returns what is left.
 */
function takeAnswers(buffer: string, onAnswer: (answer: Answer) => void): string {
  let rest = buffer;
  for (;;) {
    const headEnd = rest.indexOf("\r\n\r\n");
    if (headEnd < 0) return rest;
    const head = rest.slice(0, headEnd);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) throw new Error(`an answer without Content-Length: ${head.split("\r\n")[0]}`);
    const bodyStart = headEnd + 4;
    const bodyEnd = bodyStart + Number(length[1]);
    if (rest.length < bodyEnd) return rest;
    onAnswer({ status: Number(head.slice(9, 12)), body: rest.slice(bodyStart, bodyEnd) });
    rest = rest.slice(bodyEnd);
  }
}

export async function postLoad(options: {
  port: number;
  path: string;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  body: (n: number) => string;
}): Promise<LoadResult> {
  const extra = Object.entries(options.headers ?? {})
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  const head = `POST ${options.path} HTTP/1.1\r\nHost: 127.0.0.1:${options.port}\r\nContent-Type: application/json\r\n${extra}`;
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const ids: string[] = [];
  let sent = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + options.seconds * 1000;

  const connection = () =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port: options.port });
      socket.setNoDelay(true);
      socket.setEncoding("latin1");
      let began = 0;
      let buffer = "";
      const next = () => {
        if (performance.now() >= end) {
          socket.end();
          resolve();
          return;
        }
        const body = options.body(sent++);
        began = performance.now();
        socket.write(`${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, "utf8");
      };
      socket.on("connect", next);
      socket.on("data", (chunk: string) => {
        try {
          buffer = takeAnswers(buffer + chunk, ({ status, body }) => {
            latencies.push(performance.now() - began);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (status === 202) ids.push((JSON.parse(body) as { id: string }).id);
            next();
          });
        } catch (error) {
          socket.destroy();
          reject(error);
        }
      });
      socket.on("error", reject);
      socket.on("close", () => reject(new Error("the server closed a connection mid-run")));
    });

  await Promise.all(Array.from({ length: options.connections }, connection));
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
  return {
    requests: latencies.length,
    perSecond: Math.round((latencies.length / ms) * 1000),
    p50: at(0.5),
    p99: at(0.99),
    statuses,
    ids,
    loadCpu: (cpu.user + cpu.system) / 1000 / ms,
  };
}
