import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { toError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Router } from "./router.js";

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * How long a closed connection keeps reading what the client still sends. Closing a socket with
 * unread bytes makes the kernel answer with a reset, and a reset makes the client's kernel drop
 * an answer it has not read yet: about 40% of clients saw ECONNRESET instead of a 413.
 */
const LINGER_MS = 5_000;

export async function listen(router: Router, host: string, port: number, logger: Logger): Promise<HttpServer> {
  const lingering = new Set<Socket>();
  const server = http.createServer((req, res) => {
    res.on("steward:error", (error: unknown) =>
      logger.error({ err: toError(error), method: req.method, url: req.url }, "request failed"),
    );
    void router.handle(req, res);
  });
  // Node ends a `Connection: close` answer with destroySoon(): it closes the socket once the
  // answer is written, with the refused body still arriving. Send FIN instead and read on (to
  // nowhere) until the client closes its side or LINGER_MS runs out.
  server.on("connection", (socket: Socket) => {
    socket.destroySoon = () => linger(socket, lingering);
  });
  // Idle keep-alive sockets must not hold shutdown open.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        for (const socket of lingering) socket.destroy();
      });
      return closing;
    },
  };
}

function linger(socket: Socket, lingering: Set<Socket>): void {
  if (socket.destroyed) return;
  socket.end();
  socket.resume();
  lingering.add(socket);
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once("close", () => {
    clearTimeout(timer);
    lingering.delete(socket);
  });
}
