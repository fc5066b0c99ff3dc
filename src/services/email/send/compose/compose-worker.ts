/**
 * Runs in a worker thread (compose-thread.ts starts it): builds each message's bytes with
 * nodemailer, so the main thread, which drives the SMTP sockets, only streams them. Requests
 * come in batches, and answers go back in batches: once every message in hand is composed, or
 * 64 of them are (about 20 ms of composing, so the first of a long stream does not wait for the
 * last). Each postMessage wakes the main thread, and a wake-up per message costs it more than
 * the message's bytes do.
 */
import { parentPort } from "node:worker_threads";
import { toWire } from "../threads/protocol.js";
import { inlineComposer } from "./compose.js";
import type { ComposeAnswer, FromComposer, ToComposer } from "./protocol.js";

const port = parentPort;
if (!port) throw new Error("compose-worker.js runs as a worker thread");
const composer = inlineComposer();
let answers: ComposeAnswer[] = [];
let waiting = 0;
let stopping = false;

function end(): void {
  void composer.close().finally(() => port?.close());
}

function answer(a: ComposeAnswer): void {
  answers.push(a);
  waiting -= 1;
  if (waiting > 0 && answers.length < 64) return;
  const batch = answers;
  answers = [];
  const transfer = batch.flatMap((x) => (x.ok ? [x.composed.raw.buffer as ArrayBuffer] : []));
  port?.postMessage({ batch } satisfies FromComposer, transfer);
  if (stopping && waiting === 0) end();
}

port.on("message", (m: ToComposer) => {
  if (m === "stop") {
    // Once what it holds is answered.
    stopping = true;
    if (waiting === 0) end();
    return;
  }
  waiting += m.length;
  for (const { n, mail } of m) {
    composer.compose(mail).then(
      (composed) => answer({ n, ok: true, composed }),
      (error: unknown) => answer({ n, ok: false, error: toWire(error) }),
    );
  }
});
