/**
 * A sender thread (EMAIL_SEND_THREADS > 1): owns one nodemailer pool with its share of the SMTP
 * connections, builds each job's message and sends it, and answers with what the server said.
 * It never touches the database: claims and outcomes stay on the main thread, the one writer.
 */
import { parentPort, workerData } from "node:worker_threads";
import { TemplateRenderer } from "../../enqueue/templates.js";
import type { EmailJob } from "../../store/job.js";
import { buildMessage, type MessageDefaults } from "../message.js";
import { smtpTransport } from "../transports/smtp.js";
import { type Answer, type FromThread, type ThreadSettings, type ToThread, toWire } from "./protocol.js";

const settings = workerData as ThreadSettings;
const port = parentPort;
if (!port) throw new Error("sender-thread.js runs as a worker thread");
const defaults: MessageDefaults = {
  from: settings.from,
  templates: new TemplateRenderer(settings.templatesDir),
  maxBytes: settings.maxBytes,
};
const transport = smtpTransport(settings.smtp);
let abandon = new AbortController();
let answers: Answer[] = [];
/** Sends this thread has in hand. */
let sending = 0;
let timer: NodeJS.Timeout | undefined;
/**
 * While other sends are in hand, an answer waits up to this long for more to join it: each
 * postMessage wakes the main thread, and under load a wake-up per message cost more CPU than the
 * message's own trip (measured with `npm run bench -- email --only b`). The last send in hand
 * answers at once. It delays only the outcome, which OutcomeWriter holds for 50 ms anyway.
 */
const GATHER_MS = 2;

function answer(a: Answer): void {
  answers.push(a);
  if (answers.length > 1) return;
  if (sending > 0) timer = setTimeout(flush, GATHER_MS);
  else setImmediate(flush);
}

function flush(): void {
  clearTimeout(timer);
  if (answers.length === 0) return;
  const batch = answers;
  answers = [];
  port?.postMessage({ t: "done", batch } satisfies FromThread);
}

async function send(n: number, job: EmailJob): Promise<void> {
  sending += 1;
  let a: Answer;
  try {
    const result = await transport.send(buildMessage(job, defaults), abandon.signal);
    a = { n, ok: true, result };
  } catch (error) {
    a = { n, ok: false, error: toWire(error) };
  }
  sending -= 1;
  answer(a);
}

port.on("message", (m: ToThread) => {
  switch (m.t) {
    case "send":
      for (const { n, job } of m.batch) void send(n, job);
      return;
    case "verify":
      (transport.verify?.() ?? Promise.resolve()).then(
        () => answer({ n: m.n, ok: true, result: { accepted: [], refusals: [] } }),
        (error: unknown) => answer({ n: m.n, ok: false, error: toWire(error) }),
      );
      return;
    case "abort":
      abandon.abort();
      abandon = new AbortController();
      return;
    case "close":
      void transport.close().finally(() => port.close());
      return;
  }
});
