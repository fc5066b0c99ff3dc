/**
 * The benchmark's SMTP sink, run as a child process of the benchmark (bench/_sink.ts): a mail
 * server is never inside the sender's process, and on its own event loop the sink neither
 * slows the sender it measures nor is slowed by it. Accepts everything; notes when each
 * Message-ID was accepted, on the system-wide monotonic clock the parent reads too.
 */
import { SMTPServer } from "smtp-server";

const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;
const accepted: [string, number][] = [];
const firstOnConnection: string[] = [];

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
      accepted.push([id, monotonicMs()]);
      if (session.transaction === 1) firstOnConnection.push(id);
      callback();
    });
  },
});

type Request = { op: "count" } | { op: "report" } | { op: "close" };

process.on("message", (request: Request) => {
  if (request.op === "count") process.send?.({ count: accepted.length });
  else if (request.op === "report") process.send?.({ accepted, firstOnConnection });
  else {
    for (const c of server.connections) c._socket.destroy();
    server.close(() => process.exit(0));
  }
});

server.listen(0, "127.0.0.1", () => {
  process.send?.({ port: (server.server.address() as { port: number }).port });
});
