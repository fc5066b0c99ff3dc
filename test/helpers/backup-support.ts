import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Alert, AlertChannel } from "../../src/alerting/alerter.js";
import { createLogger, type Logger } from "../../src/core/logger.js";

export type LogRecord = Record<string, unknown> & { msg?: string; level?: number };

/** A JSON logger whose lines the test can read. */
export function capturedLogger(level = "debug"): { logger: Logger; lines: LogRecord[] } {
  const lines: LogRecord[] = [];
  const logger = createLogger({
    level,
    format: "json",
    secrets: [],
    stream: { write: (line: string) => lines.push(JSON.parse(line) as LogRecord) },
  });
  return { logger, lines };
}

/** An alert channel that keeps what it was sent. */
export function collectingChannel(): AlertChannel & { alerts: Alert[] } {
  const alerts: Alert[] = [];
  return {
    name: "test",
    alerts,
    async send(alert) {
      alerts.push(alert);
    },
  };
}

/** Waits for a condition the code under test will make true (state, not time). */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface TreeEntry {
  type: "file" | "directory" | "symlink";
  mode?: number;
  size?: number;
  sha256?: string;
  target?: string;
}

/** Every entry under `root` (not following links) with content hashes: two equal maps are identical trees. */
export function describeTree(root: string): Record<string, TreeEntry> {
  const out: Record<string, TreeEntry> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      const stat = fs.lstatSync(full);
      if (stat.isSymbolicLink()) out[key] = { type: "symlink", target: fs.readlinkSync(full) };
      else if (stat.isDirectory()) {
        out[key] = { type: "directory", mode: stat.mode & 0o777 };
        walk(full, key);
      } else {
        const sha256 = createHash("sha256").update(fs.readFileSync(full)).digest("hex");
        out[key] = { type: "file", mode: stat.mode & 0o777, size: stat.size, sha256 };
      }
    }
  };
  walk(root, "");
  return out;
}

/** A small tree with the shapes a storage backup must keep: nesting, empty folders, links in and out. */
export function makeStorageTree(root: string): void {
  fs.mkdirSync(path.join(root, "portraits/2026/01"), { recursive: true });
  fs.mkdirSync(path.join(root, "empty-folder"), { recursive: true });
  fs.mkdirSync(path.join(root, "videos"), { recursive: true });
  fs.writeFileSync(path.join(root, "portraits/2026/01/a.jpg"), Buffer.alloc(300_000, 7));
  fs.writeFileSync(path.join(root, "portraits/2026/01/b.txt"), "hello ".repeat(10_000));
  let seed = 12345;
  const random = Buffer.alloc(700_000);
  for (let i = 0; i < random.length; i += 1) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    random[i] = seed >> 16;
  }
  fs.writeFileSync(path.join(root, "videos/clip.mp4"), random);
  fs.writeFileSync(path.join(root, "videos/empty.bin"), "");
  fs.writeFileSync(path.join(root, "name with spaces ünïcode.txt"), "x");
  fs.writeFileSync(path.join(root, `${"long-name-".repeat(12)}.txt`), "long");
  fs.chmodSync(path.join(root, "portraits/2026/01/b.txt"), 0o640);
  fs.symlinkSync("portraits/2026/01/a.jpg", path.join(root, "link-inside"));
  fs.symlinkSync("/etc/hostname", path.join(root, "link-outside"));
  fs.symlinkSync("../../outside-the-tree", path.join(root, "videos/link-up"));
}
