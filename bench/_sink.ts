import { type ChildProcess, fork } from "node:child_process";

/**
 * A bare smtp-server on loopback, in a child process (bench/_sink-server.ts), that accepts
 * everything and notes when each Message-ID was accepted. Times are on the system-wide
 * monotonic clock: compare them with `monotonicMs()` read in this process.
 */
export interface BenchSink {
  port: number;
  count(): Promise<number>;
  /** When each Message-ID was accepted, and those that were the first of their SMTP session. */
  report(): Promise<{ accepted: Map<string, number>; firstOnConnection: Set<string> }>;
  close(): Promise<void>;
}

export const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

// One request at a time is in flight, so the next message from the child is its answer.
function ask<T>(child: ChildProcess, request: object): Promise<T> {
  return new Promise((resolve) => {
    child.once("message", (answer) => resolve(answer as T));
    child.send(request);
  });
}

export async function startSink(): Promise<BenchSink> {
  const child = fork(new URL("./_sink-server.js", import.meta.url), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const { port } = await new Promise<{ port: number }>((resolve, reject) => {
    child.once("message", (m) => resolve(m as { port: number }));
    child.once("error", reject);
  });
  return {
    port,
    count: async () => (await ask<{ count: number }>(child, { op: "count" })).count,
    report: async () => {
      const r = await ask<{ accepted: [string, number][]; firstOnConnection: string[] }>(child, { op: "report" });
      return { accepted: new Map(r.accepted), firstOnConnection: new Set(r.firstOnConnection) };
    },
    close: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.send({ op: "close" });
      }),
  };
}
