import { afterEach, expect, it, vi } from "vitest";
import { run } from "../../bench/row-layout.js";

/**
 * The row-layout bench rebuilds email_jobs from the migrated schema's own text: a migration that
 * changes a column it rewrites (the key, a message column) must break this test rather than leave
 * the bench measuring a layout other than the one it names. A few hundred jobs: it checks the
 * bench runs and claims every job in every layout, not its figures.
 */
afterEach(() => {
  vi.restoreAllMocks();
});

it("measures every layout on a schema as migrated, claiming and settling every job", async () => {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  await run(["--jobs", "600", "--one", "50", "--reps", "1", "--body-bytes", "30,2000"]);
  const text = lines.join("\n");
  for (const size of ["30", "2,000"]) expect(text).toContain(`text body of ${size} bytes`);
  const layouts = [
    "as migrated",
    "text key",
    "message apart",
    "text key, message apart",
    "text key, without rowid",
    "autoincrement",
  ];
  for (const layout of layouts) {
    // The name, then the figures: "text key" is not "text key, message apart".
    const rows = text.split("\n").filter((line) => line.trimStart().startsWith(`${layout}  `));
    expect(rows, layout).toHaveLength(2);
    // Three figures, each with its ratio to the layout as migrated.
    for (const row of rows) expect(row.match(/\d+\.\d \(\d+\.\d\d\)/g), row).toHaveLength(3);
  }
  expect(text).toMatch(/as migrated +\d+\.\d \(1\.00\)/);
});

it("refuses a count that is not a positive whole number, naming the options", async () => {
  await expect(run(["--jobs", "lots"])).rejects.toThrow(
    "--jobs, --one, --reps and --body-bytes take positive whole numbers",
  );
});
