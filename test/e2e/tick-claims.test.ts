import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { projectRoot } from "../helpers/steward-process.js";

describeEachDialect("tick claims across processes", (_dialect, makeDb) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await makeDb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("gives each of 100 ticks to exactly one of three processes racing for them", async () => {
    const script = path.join(projectRoot, "test/helpers/tick-claimer.mjs");
    const claimers = ["a", "b", "c"].map((holder) => {
      const child = spawn(process.execPath, [script, t.url, holder, "100"]);
      let out = "";
      const ready = new Promise<void>((resolve) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.startsWith("ready\n")) resolve();
        });
      });
      const done = new Promise<number[]>((resolve, reject) => {
        child.on("exit", (code) => {
          if (code !== 0) reject(new Error(`claimer ${holder} exited ${code}`));
          else resolve(JSON.parse(out.split("\n")[1] ?? "[]") as number[]);
        });
      });
      return { child, ready, done };
    });
    await Promise.all(claimers.map((c) => c.ready));
    for (const c of claimers) c.child.stdin.end("go\n");
    const wins = await Promise.all(claimers.map((c) => c.done));
    expect(wins.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, n) => n));
    const rows = await t.db.sql.all<{ claimed_by: string }>("select claimed_by from tick_claims");
    expect(rows).toHaveLength(100);
  });
});
