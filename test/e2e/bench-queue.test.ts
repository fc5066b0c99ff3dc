import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { TEST_DATABASE_URL } from "../helpers/db.js";

/**
 * `npm run bench -- queue --quick` end to end (the compiled bench, as npm runs it after the
 * build): every row is printed for SQLite, and for PostgreSQL when TEST_DATABASE_URL is set,
 * every POST /emails answered 202. Figures are not asserted: a loaded machine decides them.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const ROWS = [
  "enqueue 1-by-1 (jobs/s)",
  "enqueue bulk, 1,000 a call (jobs/s)",
  "drain, 10 in flight (jobs/s)",
  "latency at 200/s, same process, p50 (ms)",
  "latency at 200/s, same process, p99 (ms)",
  "latency at 200/s, other process, p50 (ms)",
  "latency at 200/s, other process, p99 (ms)",
  "POST /emails, 32 connections (req/s)",
  "POST /emails, 32 connections, p99 (ms)",
];

function runQuick(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (!TEST_DATABASE_URL) delete env.TEST_DATABASE_URL;
    const child = spawn(process.execPath, [path.join(root, "dist/bench/run.js"), "queue", "--quick"], {
      cwd: root,
      env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

it("npm run bench -- queue --quick prints every row beside its raw baseline, with the load average", async () => {
  const { code, stdout, stderr } = await runQuick();
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/load average before \d/);
  expect(stdout).toMatch(/load average after \d/);
  const sections = [stdout.split("SQLite (WAL, synchronous=NORMAL)")[1]?.split("PostgreSQL")[0] ?? ""];
  if (TEST_DATABASE_URL) sections.push(stdout.split("\nPostgreSQL ")[1] ?? "");
  else expect(stdout).toContain("PostgreSQL skipped");
  for (const section of sections) {
    for (const row of ROWS) {
      // The label, then three columns: Steward, raw, and the ratio.
      const line = section.split("\n").find((l) => l.trim().startsWith(row));
      expect(line, `${row} in\n${section}`).toBeDefined();
      expect(
        line
          ?.slice(line.indexOf(row) + row.length)
          .trim()
          .split(/\s+/),
      ).toHaveLength(3);
    }
    const answers = /answers: Steward (\{.*\}), raw (\{.*\})/.exec(section);
    expect(answers, section).not.toBeNull();
    for (const json of [answers?.[1], answers?.[2]]) {
      expect(Object.keys(JSON.parse(json ?? "{}"))).toEqual(["202"]);
    }
  }
}, 600_000);
