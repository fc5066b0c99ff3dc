import { describe, expect, it } from "vitest";
import { formatBytes, progressBar } from "../../src/services/backup/progress-bar.js";
import { FakeClock } from "../fakes/fake-clock.js";

describe("backup progress bar", () => {
  it("draws the phase, a bar and the amounts on one line, at most ten times a second", async () => {
    const clock = new FakeClock();
    let out = "";
    const bar = progressBar({ clock, stdout: { write: (text: string) => (out += text) } });
    bar.update({ phase: "archive", done: 512 * 1024 * 1024, total: 1024 * 1024 * 1024, unit: "bytes" });
    expect(out).toBe(`\r\x1b[2Karchive   [${"#".repeat(15)}${".".repeat(15)}]  50% 512.0 MB / 1.0 GB`);
    bar.update({ phase: "archive", done: 600 * 1024 * 1024, total: 1024 * 1024 * 1024, unit: "bytes" });
    expect(out.split("\r")).toHaveLength(2);
    await clock.advance(100);
    bar.update({ phase: "dump", done: 3 * 1024, total: null, unit: "bytes" });
    expect(out.endsWith("\r\x1b[2Kdump      3.0 KB")).toBe(true);
    bar.done();
    expect(out.endsWith("\r\x1b[2K")).toBe(true);
  });

  it("formats sizes", () => {
    expect([0, 1023, 1024, 1536 * 1024, 5 * 1024 ** 3].map(formatBytes)).toEqual([
      "0 B",
      "1023 B",
      "1.0 KB",
      "1.5 MB",
      "5.0 GB",
    ]);
  });
});
