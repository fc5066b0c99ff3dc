/**
 * The HTTP baselines for `npm run bench -- enqueue`: a bare node:http server that parses the
 * JSON body and, given a database file, inserts one row with a prepared better-sqlite3
 * statement (autocommit, WAL, synchronous=NORMAL) before answering 202. No validation, no auth,
 * no router: the floor of what an HTTP enqueue on SQLite costs in Node. Without a file it
 * stores nothing: node:http's own ceiling on this machine under the same load, the most any
 * HTTP enqueue in Node could reach here. Forked with the file (or none) as argument; sends
 * `{port}` when listening.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import Sqlite from "better-sqlite3";
import { RAW_TABLE } from "./_raw-enqueue.js";

/** Stores a body and returns its id. */
function storeIn(db: Sqlite.Database): (body: unknown) => number {
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(RAW_TABLE);
  const insert = db.prepare("insert into jobs (run_at, payload) values (?, ?) returning id");
  return (body) => (insert.get(Date.now(), JSON.stringify(body)) as { id: number }).id;
}

const file = process.argv[2];
const db = file ? new Sqlite(file) : undefined;
const store = db ? storeIn(db) : () => 0;

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const id = store(JSON.parse(Buffer.concat(chunks).toString()) as unknown);
    const payload = `${JSON.stringify({ id: String(id), status: "pending" })}\n`;
    res.writeHead(202, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
    res.end(payload);
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, "127.0.0.1", () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on("disconnect", () => {
  server.close();
  server.closeAllConnections();
  db?.close();
});
