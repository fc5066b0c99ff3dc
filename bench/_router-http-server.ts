/**
 * A step between the HTTP baselines of `npm run bench -- enqueue` and Steward: Steward's own
 * HTTP layer (src/http: the server, the router, the Host and Origin checks, the admin token,
 * the body budget and JSON reading) with a POST /emails that reads the body and answers 202
 * without validating or storing it. Against the bare node:http server it shows what the layer
 * costs a request; against `steward start`, what validation and the group commit add. Forked
 * with the admin token as argument; sends `{port}` when listening.
 */
import { createLogger } from "../src/core/logger.js";
import { json, Router } from "../src/http/router.js";
import { listen } from "../src/http/server.js";

const token = process.argv[2] as string;
const logger = createLogger({ level: "warn", format: "json", secrets: [token], fd: 2 });
const router = new Router({ adminToken: token, logger }).add({
  method: "POST",
  path: "/emails",
  admin: true,
  handler: async (req) => {
    await req.json();
    return json(202, { id: "0", status: "pending" });
  },
});
const server = await listen(router, "127.0.0.1", 0, logger);
process.send?.({ port: server.port });
process.on("disconnect", () => void server.close());
