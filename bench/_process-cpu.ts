/**
 * Idle CPU of real `steward start` processes, for bench/volume.ts: each is spawned, waited for
 * until it logs that it started, left to settle, then its user + system time is read from
 * /proc/<pid>/stat over one window shared by all of them, so that the noise of a busy machine
 * falls on each alike.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { projectRoot } from "../src/core/project.js";

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS = 100;

function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the line)
}

function started(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("steward started")) resolve();
    });
    child.stderr?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("exit", (code) => reject(new Error(`steward exited with ${code} before starting:\n${out}`)));
  });
}

/** Percent of one core each process used over `seconds`, after `settleSeconds`; env per process. */
export async function idleCpu(
  envs: Array<Record<string, string>>,
  options: { cwd: string; seconds: number; settleSeconds: number },
): Promise<number[]> {
  const children = envs.map((env) =>
    spawn(process.execPath, [path.join(projectRoot(), "bin/steward.js"), "start"], { env, cwd: options.cwd }),
  );
  try {
    await Promise.all(children.map(started));
    await new Promise((resolve) => setTimeout(resolve, options.settleSeconds * 1000));
    const before = children.map((c) => cpuTicks(c.pid as number));
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
    const elapsed = (performance.now() - t0) / 1000;
    return children.map((c, i) => ((cpuTicks(c.pid as number) - (before[i] as number)) / TICKS / elapsed) * 100);
  } finally {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.once("exit", () => resolve());
            c.kill("SIGTERM");
          }),
      ),
    );
  }
}
