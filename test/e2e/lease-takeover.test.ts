import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { LeaseStore } from "../../src/db/coordination/leases.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { projectRoot } from "../helpers/steward-process.js";

interface Attempt {
  holder: string;
  held: boolean;
  at: number;
}

const TTL_MS = 1_500;

describeEachDialect("lease takeover across processes", (_dialect, makeDb) => {
  let t: TestDb;
  let children: ChildProcess[] = [];
  beforeEach(async () => {
    t = await makeDb();
  });
  afterEach(async () => {
    for (const child of children) child.kill("SIGKILL");
    children = [];
    await t.cleanup();
  });

  it("keeps one holder among three, and another takes over at its first attempt after a SIGKILLed holder's lease expires", async () => {
    const attempts: Attempt[] = [];
    let onAttempt: () => void = () => {};
    const script = path.join(projectRoot, "test/helpers/lease-contender.mjs");
    children = ["a", "b", "c"].map((holder) => {
      const child = spawn(process.execPath, [script, t.url, "lifecycle", holder, String(TTL_MS)]);
      let buffer = "";
      child.stdout.on("data", (d: Buffer) => {
        buffer += d.toString();
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines) {
          const parsed = JSON.parse(line) as Attempt & { error?: string };
          if (parsed.error) throw new Error(`contender ${holder}: ${parsed.error}`);
          attempts.push(parsed);
          onAttempt();
        }
      });
      return child;
    });
    const waitFor = (check: () => boolean) =>
      new Promise<void>((resolve) => {
        onAttempt = () => {
          if (check()) resolve();
        };
        onAttempt();
      });

    // Let every contender make several attempts while one holds.
    await waitFor(() => ["a", "b", "c"].every((h) => attempts.filter((x) => x.holder === h).length >= 4));
    const store = new LeaseStore(t.db.sql);
    const before = await store.get("lifecycle");
    expect(before).toBeDefined();
    const first = before?.holder as string;
    const killed = children[["a", "b", "c"].indexOf(first)];
    killed?.kill("SIGKILL");
    await new Promise<void>((resolve) => killed?.once("exit", () => resolve()));
    const killedAt = Date.now();

    // The takeover: some other contender reports holding it.
    await waitFor(() => attempts.some((x) => x.held && x.holder !== first && x.at > killedAt));
    const after = await store.get("lifecycle");
    expect(after?.holder).not.toBe(first);

    // 1. Never two holders at once: each held report covers [at, at + TTL), and holders' spans never overlap.
    const spans = attempts.filter((x) => x.held).map((x) => ({ holder: x.holder, from: x.at, to: x.at + TTL_MS }));
    for (const s of spans) {
      for (const o of spans) {
        if (s.holder !== o.holder) expect(s.from >= o.to || o.from >= s.to).toBe(true);
      }
    }
    // 2. The takeover came at the first chance: of each survivor's first attempt after the dead
    //    holder's lease expired, one succeeded. Attempts come every TTL/3, so another process held
    //    the lease within the TTL plus one renew interval of the last renewal.
    const lastRenewal = Math.max(...attempts.filter((x) => x.holder === first && x.held).map((x) => x.at));
    const expiredAt = lastRenewal + TTL_MS;
    const firstAfterExpiry = ["a", "b", "c"]
      .filter((h) => h !== first)
      .map((h) => attempts.find((x) => x.holder === h && x.at >= expiredAt));
    expect(firstAfterExpiry.some((x) => x?.held)).toBe(true);
  });
});
