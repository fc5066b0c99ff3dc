/**
 * A queue's workers in a process of their own (bench/_queue-runner.ts forks it): the case of a
 * host app that enqueues in its process while Steward sends from another, so a commit reaches
 * the workers only the way production finds another process's commits. Also the server side
 * of the HTTP figures, so the load generator does not share its process. Speaks over the IPC
 * channel; handler starts are stamped on the system-wide monotonic clock.
 */
import type { RunningWorker } from "./_queue-host.js";
import { type StartRequest, startHere } from "./_queue-runner.js";

export type ToWorker = { op: "start"; request: StartRequest } | { op: "stop" } | { op: "exit" };

export type FromWorker =
  | { op: "ready" }
  | { op: "started"; startMs: number; port: number }
  | { op: "job"; payload: unknown; at: number }
  | { op: "done"; n: number }
  | { op: "stopped"; unexpected: string[]; error: string | null };

const send = (message: FromWorker) => process.send?.(message);

let running: RunningWorker | undefined;

process.on("message", async (message: ToWorker) => {
  if (message.op === "start") {
    running = await startHere(message.request, {
      onStart: (payload, at) => send({ op: "job", payload, at }),
      onDone: (n) => send({ op: "done", n }),
    });
    send({ op: "started", startMs: running.startMs, port: running.port });
  } else if (message.op === "stop") {
    let error: string | null = null;
    try {
      await running?.stop();
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    send({ op: "stopped", unexpected: running?.unexpected ?? [], error });
    running = undefined;
  } else if (message.op === "exit") {
    process.disconnect();
  }
});

send({ op: "ready" });
