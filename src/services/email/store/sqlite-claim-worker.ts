/**
 * Runs in a worker thread (sqlite-claim-thread.ts starts it): the queue's claims and outcome
 * batches on a connection of its own to the same SQLite file, so their SQLite work (about half
 * of a busy sender's event loop) runs beside the event loop instead of on it. Each request is
 * one BEGIN IMMEDIATE ... COMMIT, answered after its commit.
 */
import { parentPort, workerData } from "node:worker_threads";
import Sqlite from "better-sqlite3";
import { type ClaimOrder, claimOn, settleOn } from "./sqlite-queue-sql.js";

export interface ClaimThreadSettings {
  file: string;
  busyTimeoutMs: number;
  /** The main connection's wal_autocheckpoint, so a commit here checkpoints no sooner than one there. */
  walAutocheckpoint: number;
}

export type ClaimThreadRequest =
  | { id: number; op: "claim"; order: ClaimOrder }
  | { id: number; op: "settle"; rows: unknown[]; holder: string };

export type ClaimThreadReply =
  | { id: number; ok: true; value: number[] | number }
  | { id: number; ok: false; message: string; code: string | undefined };

/** Posted once the connection is open (requests sent before then wait in the port). */
export type ClaimThreadReady = "ready";

const settings = workerData as ClaimThreadSettings;
const db = new Sqlite(settings.file);
db.pragma(`busy_timeout = ${settings.busyTimeoutMs}`);
// Per connection, as openDatabase sets it on the main one (the file is already in WAL mode).
db.pragma("synchronous = NORMAL");
db.pragma(`wal_autocheckpoint = ${settings.walAutocheckpoint}`);
const claim = db.transaction((order: ClaimOrder) => claimOn(db, order));
const settle = db.transaction((rows: unknown[], holder: string) => settleOn(db, rows, holder));

const port = parentPort;
port?.postMessage("ready" satisfies ClaimThreadReady);
port?.on("message", (request: ClaimThreadRequest | "stop") => {
  if (request === "stop") {
    db.close();
    port.close();
    return;
  }
  try {
    const value =
      request.op === "claim" ? claim.immediate(request.order) : settle.immediate(request.rows, request.holder);
    port.postMessage({ id: request.id, ok: true, value } satisfies ClaimThreadReply);
  } catch (error) {
    const { message, code } = error as Error & { code?: string };
    port.postMessage({ id: request.id, ok: false, message, code } satisfies ClaimThreadReply);
  }
});
