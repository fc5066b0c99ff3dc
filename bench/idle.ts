/**
 * `npm run bench -- idle [--seconds N] [--warmup N] [--pg URL]`: what an idle Steward costs.
 * Spawns the real `steward start` with every service on (email queue, lifecycle, video, every
 * backup job) on a fresh data directory, waits `--warmup` seconds (default 30) for start-up to
 * settle, then reads /proc/<pid> over `--seconds` (default 30): resident memory, CPU time as a
 * share of one core, and the threads' context switches (how often each thread wakes up), which
 * is where to look when the CPU figure is over its aim. SQLite by default; PostgreSQL with --pg.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { projectRoot } from "../src/core/project.js";

const AIM_RSS_MB = 80;
const AIM_CPU_PERCENT = 0.5;
/** USER_HZ: /proc reports CPU time in these ticks; 100 on every Linux Steward targets. */
const TICKS_PER_SECOND = 100;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function seconds(args: string[], name: string, fallback: number): number {
  const value = Number(option(args, name) ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of seconds`);
  return value;
}

/** utime + stime of the whole process, in ticks (fields 14 and 15 of /proc/<pid>/stat). */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name may hold spaces or parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Context switches per thread, keyed by "<name> <tid>". */
function threadSwitches(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
      const name = /Name:\s+(.*)/.exec(status)?.[1] ?? "?";
      const voluntary = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const forced = Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
      out.set(`${name} ${tid}`, voluntary + forced);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

function waitForStart(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = "";
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes("steward started")) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`steward exited (${code}) before starting:\n${log}`)));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function run(args: string[]): Promise<void> {
  if (process.platform !== "linux") throw new Error("the idle bench reads /proc: Linux only");
  // 30 s: about 16 s after start, V8 gives back the heap start-up grew (two full collections,
  // some 130 ms of CPU); a window that holds it measures the start-up, not an idle process.
  const warmup = seconds(args, "--warmup", 30);
  const window = seconds(args, "--seconds", 30);
  const pgUrl = option(args, "--pg");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-idle-"));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    DATA_DIR: path.join(dir, "data"),
    STATUS_PORT: "0",
    LOG_FORMAT: "json",
    LOG_LEVEL: "info",
    BACKUP_STORAGE_ENABLED: "true",
    ...(pgUrl ? { DATABASE_URL: pgUrl } : {}),
  };
  const child = spawn(process.execPath, [path.join(projectRoot(), "bin/steward.js"), "start"], {
    env,
    cwd: dir,
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await waitForStart(child);
    const pid = child.pid as number;
    console.log(`idle: steward start (pid ${pid}, ${pgUrl ? "PostgreSQL" : "SQLite"}, every service on)`);
    console.log(`  settling for ${warmup} s, then measuring for ${window} s`);
    await sleep(warmup * 1000);
    const switchesBefore = threadSwitches(pid);
    const ticksBefore = cpuTicks(pid);
    const startedAt = performance.now();
    let peakRss = rssMb(pid);
    for (let elapsed = 0; elapsed < window; elapsed += 1) {
      await sleep(1000);
      peakRss = Math.max(peakRss, rssMb(pid));
    }
    const elapsedS = (performance.now() - startedAt) / 1000;
    const cpuPercent = ((cpuTicks(pid) - ticksBefore) / TICKS_PER_SECOND / elapsedS) * 100;
    const rss = rssMb(pid);
    const switchesAfter = threadSwitches(pid);
    const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
    console.log(
      `  RSS ${rss.toFixed(1)} MB (peak ${peakRss.toFixed(1)}), aim <= ${AIM_RSS_MB} MB: ${verdict(peakRss <= AIM_RSS_MB)}`,
    );
    console.log(
      `  CPU ${cpuPercent.toFixed(2)}% of a core, aim <= ${AIM_CPU_PERCENT}%: ${verdict(cpuPercent <= AIM_CPU_PERCENT)}`,
    );
    console.log(
      `  load average ${os
        .loadavg()
        .map((n) => n.toFixed(2))
        .join(", ")} on ${os.cpus().length} cores`,
    );
    console.log("  wake-ups per second by thread (context switches):");
    const rows = [...switchesAfter]
      .map(([thread, n]) => [thread, (n - (switchesBefore.get(thread) ?? 0)) / elapsedS] as const)
      .filter(([, rate]) => rate > 0)
      .sort((a, b) => b[1] - a[1]);
    for (const [thread, rate] of rows) console.log(`    ${rate.toFixed(1).padStart(7)}  ${thread}`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
