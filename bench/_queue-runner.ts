/**
 * One way to run a queue's workers for the queue benchmarks, in this process or in a child
 * (bench/_queue-worker.ts): Steward's host (bench/_queue-host.ts) or the raw baseline
 * (bench/_raw-queue.ts). Either way a handler start is reported with its time on the
 * system-wide monotonic clock (`monotonicMs`), so latency is measured up to the handler, not
 * up to the moment the report reached this process.
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import type { App } from "../src/app.js";
import { type QueueTarget, type RunningWorker, type SentReader, startWorker } from "./_queue-host.js";
import type { FromWorker, ToWorker } from "./_queue-worker.js";
import { startRawWorker } from "./_raw-queue.js";
import { monotonicMs } from "./_sink.js";

export type QueueKind = "steward" | "raw";

export interface RunnerHooks {
  onStart(payload: unknown, atMonotonicMs: number): void;
  onDone(n: number): void;
}

export interface StartRequest {
  kind: QueueKind;
  target: QueueTarget;
  workers: number;
  /** The raw queue starts its HTTP endpoint only when asked; Steward's host always serves one. */
  http?: boolean;
}

export interface Runner {
  /** `onApp` (Steward in this process only) is given the host before it starts: its wake hub. */
  start(
    request: StartRequest,
    hooks: RunnerHooks,
    onApp?: (app: App) => void,
  ): Promise<{ startMs: number; port: number }>;
  /** Stops the workers; throws when a job did not end `sent` or a sent one was never seen durable. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the workers in this process (Steward's confirming its sends through `reader` when given one). */
export function startHere(
  request: StartRequest,
  hooks: RunnerHooks,
  onApp?: (app: App) => void,
  reader?: SentReader,
): Promise<RunningWorker> {
  const { kind, target, workers, http = false } = request;
  const stamped = { onStart: (payload: unknown) => hooks.onStart(payload, monotonicMs()), onDone: hooks.onDone };
  return kind === "steward"
    ? startWorker(target, workers, stamped, onApp, reader)
    : startRawWorker(target, workers, stamped, http);
}

const checkSent = (unexpected: string[]) => {
  if (unexpected.length > 0) throw new Error(`jobs not sent: ${unexpected.slice(0, 3).join("; ")}`);
};

/** Runs the workers in this process; `reader`, if given, stays the caller's to close. */
export function localRunner(reader?: SentReader): Runner {
  let running: RunningWorker | undefined;
  return {
    async start(request, hooks, onApp) {
      running = await startHere(request, hooks, onApp, reader);
      return { startMs: running.startMs, port: running.port };
    },
    async stop() {
      const was = running;
      running = undefined;
      await was?.stop();
      checkSent(was?.unexpected ?? []);
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
    async start(request, given) {
      hooks = given;
      const started = next("started");
      tell({ op: "start", request });
      running = true;
      const m = (await started) as Extract<FromWorker, { op: "started" }>;
      return { startMs: m.startMs, port: m.port };
    },
    async stop() {
      if (!running) return;
      running = false;
      const stopped = next("stopped");
      tell({ op: "stop" });
      const m = (await stopped) as Extract<FromWorker, { op: "stopped" }>;
      hooks = undefined;
      if (m.error) throw new Error(m.error);
      checkSent(m.unexpected);
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
