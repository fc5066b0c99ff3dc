/**
 * One way to run the worker host for the queue benchmarks, in this process or in a child
 * (bench/_queue-worker.ts). Either way a handler start is reported with its time on the
 * system-wide monotonic clock (`monotonicMs`), so latency is measured up to the handler, not
 * up to the moment the report reached this process.
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import type { App } from "../src/app.js";
import { type QueueTarget, startWorker } from "./_queue-host.js";
import type { FromWorker, ToWorker } from "./_queue-worker.js";
import { monotonicMs } from "./_sink.js";

export interface RunnerHooks {
  onStart(payload: unknown, atMonotonicMs: number): void;
  onDone(n: number): void;
}

export interface Runner {
  /** `onApp` (in-process only) is given the host before it starts: its wake hub, its events. */
  start(
    target: QueueTarget,
    workers: number,
    hooks: RunnerHooks,
    onApp?: (app: App) => void,
  ): Promise<{ startMs: number }>;
  /** Stops the host; throws when a job did not end `sent` or a sent one was never seen durable. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export function localRunner(): Runner {
  let stop: (() => Promise<string[]>) | undefined;
  return {
    async start(target, workers, hooks, onApp) {
      const running = await startWorker(
        target,
        workers,
        { onStart: (payload) => hooks.onStart(payload, monotonicMs()), onDone: hooks.onDone },
        onApp,
      );
      stop = async () => {
        await running.stop();
        return running.unexpected;
      };
      return { startMs: running.startMs };
    },
    async stop() {
      const unexpected = (await stop?.()) ?? [];
      stop = undefined;
      if (unexpected.length > 0) throw new Error(`jobs not sent: ${unexpected.slice(0, 3).join("; ")}`);
    },
    close() {
      return this.stop();
    },
  };
}

/** Forks the worker process now, so its start-up (loading Node and Steward) is not timed. */
export async function childRunner(): Promise<Runner> {
  const child: ChildProcess = fork(new URL("./_queue-worker.js", import.meta.url), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let hooks: RunnerHooks | undefined;
  const waiters = new Map<string, { resolve(m: FromWorker): void; reject(e: Error): void }>();
  const next = (op: FromWorker["op"]) =>
    new Promise<FromWorker>((resolve, reject) => {
      waiters.set(op, { resolve, reject });
    });
  child.on("exit", (code) => {
    for (const [op, waiter] of waiters) waiter.reject(new Error(`the worker process exited (${code}) awaiting ${op}`));
    waiters.clear();
  });
  child.on("message", (m: FromWorker) => {
    if (m.op === "job") hooks?.onStart(m.payload, m.at);
    else if (m.op === "done") hooks?.onDone(m.n);
    const waiter = waiters.get(m.op);
    waiters.delete(m.op);
    waiter?.resolve(m);
  });
  const tell = (m: ToWorker) => child.send(m);
  await next("ready");
  let running = false;
  const runner: Runner = {
    async start(target, workers, given) {
      hooks = given;
      const started = next("started");
      tell({ op: "start", target, workers });
      running = true;
      return { startMs: ((await started) as { startMs: number }).startMs };
    },
    async stop() {
      if (!running) return;
      running = false;
      const stopped = next("stopped");
      tell({ op: "stop" });
      const m = (await stopped) as Extract<FromWorker, { op: "stopped" }>;
      hooks = undefined;
      if (m.error) throw new Error(m.error);
      if (m.unexpected.length > 0) throw new Error(`jobs not sent: ${m.unexpected.slice(0, 3).join("; ")}`);
    },
    async close() {
      await runner.stop().catch(() => {});
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      tell({ op: "exit" });
      await exited;
    },
  };
  return runner;
}
