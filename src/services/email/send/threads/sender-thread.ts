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

/** Answers of one turn go back together. */
function answer(a: Answer): void {
  answers.push(a);
  if (answers.length === 1) setImmediate(flush);
}

function flush(): void {
  const batch = answers;
  answers = [];
  port?.postMessage({ t: "done", batch } satisfies FromThread);
}

async function send(n: number, job: EmailJob): Promise<void> {
  try {
    const result = await transport.send(buildMessage(job, defaults), abandon.signal);
    answer({ n, ok: true, result });
  } catch (error) {
    answer({ n, ok: false, error: toWire(error) });
  }
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
