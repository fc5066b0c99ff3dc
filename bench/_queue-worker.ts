/**
 * The worker host in a process of its own (bench/_queue-runner.ts forks it): the case of a host
 * app that enqueues in its process while Steward sends from another, so a commit can reach the
 * workers only the way production finds another process's commits. Speaks over the IPC
 * channel; handler starts are stamped on the system-wide monotonic clock, so the parent can
 * compare them with its own enqueue times without counting the IPC hop.
 */

import { type QueueTarget, type RunningWorker, startWorker } from "./_queue-host.js";
import { monotonicMs } from "./_sink.js";

export type ToWorker = { op: "start"; target: QueueTarget; workers: number } | { op: "stop" } | { op: "exit" };

export type FromWorker =
  | { op: "ready" }
  | { op: "started"; startMs: number }
  | { op: "job"; payload: unknown; at: number }
  | { op: "done"; n: number }
  | { op: "stopped"; unexpected: string[]; error: string | null };

const send = (message: FromWorker) => process.send?.(message);

let running: RunningWorker | undefined;

process.on("message", async (message: ToWorker) => {
  if (message.op === "start") {
    running = await startWorker(message.target, message.workers, {
      onStart: (payload) => send({ op: "job", payload, at: monotonicMs() }),
      onDone: (n) => send({ op: "done", n }),
    });
    send({ op: "started", startMs: running.startMs });
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
