import type { CliRuntime } from "../../cli/runtime.js";
import type { ProgressEvent } from "./part.js";

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

const WIDTH = 30;

/**
 * A one-line progress bar for a terminal, redrawn at most ten times a second: the phase
 * (snapshot, compress, dump, archive, verify, restore), a bar when the total is known, and
 * how much is done.
 */
export function progressBar(rt: Pick<CliRuntime, "stdout" | "clock">): {
  update(event: ProgressEvent): void;
  done(): void;
} {
  let lastDrawn = 0;
  let lastPhase = "";
  let drawn = false;
  const amount = (n: number, unit: ProgressEvent["unit"]) => (unit === "bytes" ? formatBytes(n) : `${n} pages`);
  return {
    update(event) {
      const now = rt.clock.now().getTime();
      const finished = event.total !== null && event.done >= event.total;
      if (event.phase === lastPhase && now - lastDrawn < 100 && !finished) return;
      lastDrawn = now;
      lastPhase = event.phase;
      let line = `${event.phase.padEnd(9)} `;
      if (event.total !== null && event.total > 0) {
        const share = Math.min(1, event.done / event.total);
        const filled = Math.round(share * WIDTH);
        line += `[${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${String(Math.floor(share * 100)).padStart(3)}% `;
        line += `${amount(event.done, event.unit)} / ${amount(event.total, event.unit)}`;
      } else {
        line += amount(event.done, event.unit);
      }
      rt.stdout.write(`\r\x1b[2K${line}`);
      drawn = true;
    },
    done() {
      if (drawn) rt.stdout.write("\r\x1b[2K");
    },
  };
}
