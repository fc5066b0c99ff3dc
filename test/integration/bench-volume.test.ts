import { afterEach, expect, it, vi } from "vitest";
import { run } from "../../bench/volume.js";

/**
 * The volume bench works on the schema as migrated, and its old-cleanup comparison drops the
 * counting triggers by their names: sqlite 0018 renamed the insert ones, and the bench failed
 * on SQLite until it read them from the schema. A few thousand jobs: it checks the bench runs
 * to its end and its counters check holds, not its figures.
 */
afterEach(() => {
  vi.restoreAllMocks();
});

it("runs on SQLite to the end, the old cleanup included, with the counters equal to count(*)", async () => {
  const lines: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  await run(["--jobs", "3000", "--only", "sqlite", "--idle-seconds", "1"]);
  const text = lines.join("");
  expect(text).toMatch(/the old cleanup, one DELETE of \d+ jobs on a copy/);
  expect(text).toContain("(equal to count(*))");
  expect(text).toContain("load average at the end");
}, 120_000);
