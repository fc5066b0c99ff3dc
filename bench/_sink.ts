import { SMTPServer } from "smtp-server";

/** A bare smtp-server on loopback that accepts everything and notes when each Message-ID was accepted. */
export interface BenchSink {
  port: number;
  accepted: Map<string, number>;
  /** Message-IDs that were the first message of their SMTP session (they waited for a new connection). */
  firstOnConnection: Set<string>;
  count(): number;
  close(): Promise<void>;
}

export async function startSink(now: () => number): Promise<BenchSink> {
  const accepted = new Map<string, number>();
  const firstOnConnection = new Set<string>();
  let count = 0;
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ["STARTTLS", "AUTH"],
    authOptional: true,
    disableReverseLookup: true,
    onData(stream, session, callback) {
      let head = "";
      stream.on("data", (chunk: Buffer) => {
        if (head.length < 4096) head += chunk.toString("latin1");
      });
      stream.on("end", () => {
        const id = /^message-id:\s*(\S+)/im.exec(head)?.[1] ?? "";
        accepted.set(id, now());
        if (session.transaction === 1) firstOnConnection.add(id);
        count += 1;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.server.address() as { port: number }).port,
    accepted,
    firstOnConnection,
    count: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of server.connections) c._socket.destroy();
        server.close(() => resolve());
      }),
  };
}
