import http from "node:http";
import type { AddressInfo } from "node:net";
import { toError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Router } from "./router.js";

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function listen(router: Router, host: string, port: number, logger: Logger): Promise<HttpServer> {
  const server = http.createServer((req, res) => {
    res.on("steward:error", (error: unknown) =>
      logger.error({ err: toError(error), method: req.method, url: req.url }, "request failed"),
    );
    void router.handle(req, res);
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
      });
      return closing;
    },
  };
}
