import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const stewardBin = path.join(projectRoot, "bin/steward.js");

/** A clean environment: nothing leaks in from the developer's shell but PATH and HOME. */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    LOG_FORMAT: "json",
    STATUS_PORT: "0",
  };
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one `steward` command to completion. */
export function runSteward(
  args: string[],
  options: { env: Record<string, string>; cwd: string; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [stewardBin, ...args], { env: options.env, cwd: options.cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`steward ${args.join(" ")} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export type LogLine = Record<string, unknown> & { msg?: string };

/** The start-up line: "steward started: status on <url>, services: ...". */
export const isStartedLine = (line: LogLine): boolean => line.msg?.startsWith("steward started") === true;

/** A running `steward start`, read through its JSON log lines. */
export class StewardProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  stdout = "";
  stderr = "";
  private waiters: Array<{ test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(options: { env: Record<string, string>; cwd: string; args?: string[] }) {
    this.child = spawn(process.execPath, [stewardBin, ...(options.args ?? ["start"])], {
      env: options.env,
      cwd: options.cwd,
    });
    let partial = "";
    this.child.stdout?.on("data", (d: Buffer) => {
      const text = d.toString();
      this.stdout += text;
      partial += text;
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      for (const part of parts) this.onLine(part);
    });
    this.child.stderr?.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => resolve({ code, signal }));
    });
  }

  private onLine(text: string): void {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text };
    }
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Resolves with the first log line (already seen or still to come) that passes `test`. */
  waitForLog(test: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for a log line\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`)),
        timeoutMs,
      );
      const waiter = {
        test,
        resolve: (l: LogLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      this.waiters.push(waiter);
      void this.exited.then(() => {
        if (this.waiters.includes(waiter)) {
          clearTimeout(timer);
          reject(
            new Error(`steward exited before the awaited log line\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`),
          );
        }
      });
    });
  }

  /** Waits for start-up to finish and returns the bound status port. */
  async ready(timeoutMs = 30_000): Promise<number> {
    const listening = await this.waitForLog((l) => l.msg === "status server listening", timeoutMs);
    await this.waitForLog(isStartedLine, timeoutMs);
    return Number(listening.port);
  }

  async get(port: number, urlPath: string): Promise<{ status: number; body: unknown; text: string }> {
    const response = await fetch(`http://127.0.0.1:${port}${urlPath}`);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body, text };
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** Stops the process (SIGTERM, then SIGKILL after `graceMs`). */
  async stop(graceMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}
