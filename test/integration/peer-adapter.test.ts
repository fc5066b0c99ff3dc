import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import Sqlite from "better-sqlite3";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import type { PeerQueue } from "../../bench/peer-adapter.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";
import { waitFor } from "../helpers/wait.js";

/**
 * The peer harness (../shared/peerbench) loads dist/bench/peer-adapter.js by path, so the
 * compiled file is what is tested: the harness's own sequence of calls, a few hundred jobs,
 * each of which must start once, be reported done once, and be `sent` in the database by the
 * time it is reported done.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const adapterFile = path.join(root, "dist/bench/peer-adapter.js");
type AdapterModule = typeof import("../../bench/peer-adapter.js");

const payload = (i: number) => ({ to: `user${i}@example.test`, template: "welcome", i, t: 0 });

describeEachDialect("the peer harness's adapter", (dialect, makeDb) => {
  let t: TestDb;
  let dir: string;
  let queue: PeerQueue | undefined;
  let sentRows: () => Promise<number>;
  let closeReader: () => void;

  beforeEach(async () => {
    t = await makeDb();
    dir = tempDir("steward-peer-");
  });
  afterEach(async () => {
    await queue?.close();
    queue = undefined;
    closeReader?.();
    await t.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(wake: boolean): Promise<PeerQueue> {
    const { make } = (await import(pathToFileURL(adapterFile).href)) as AdapterModule;
    queue = await make({ variant: dialect, dir, wake, pgUrl: t.url });
    if (dialect === "sqlite") {
      // The adapter's own file: a reader of our own, like any other process.
      const reader = new Sqlite(path.join(dir, "steward-queue.db"), { readonly: true });
      const count = reader.prepare("select count(*) as n from email_jobs where status = 'sent'");
      sentRows = async () => (count.get() as { n: number }).n;
      closeReader = () => reader.close();
    } else {
      sentRows = async () =>
        Number((await t.db.sql.get<{ n: unknown }>("select count(*) as n from email_jobs where status = 'sent'"))?.n);
      closeReader = () => {};
    }
    return queue;
  }

  async function runAll(q: PeerQueue, total: number, enqueue: () => Promise<void>) {
    const starts = new Map<number, number>();
    let done = 0;
    const durable: Array<Promise<boolean>> = [];
    const worker = await q.startWorker({
      concurrency: 10,
      onStart: (data) => {
        const { i } = data as { i: number };
        starts.set(i, (starts.get(i) ?? 0) + 1);
      },
      onDone: () => {
        done += 1;
        const reported = done;
        // Sent rows only grow: if this job is durable, the count read now is at least `reported`.
        durable.push(sentRows().then((n) => n >= reported));
      },
    });
    await enqueue();
    await waitFor(() => done >= total, { what: `${total} jobs done`, timeoutMs: 60_000 });
    await worker.settle();
    await worker.stop();
    expect(done).toBe(total);
    expect(await Promise.all(durable)).not.toContain(false);
    expect(starts.size).toBe(total);
    expect([...starts.values()].every((n) => n === 1)).toBe(true);
    expect(await sentRows()).toBe(total);
  }

  for (const wake of [true, false]) {
    const where = wake ? "workers in this process" : "workers in another process";
    it(`enqueues one by one and in bulk, then drains every job once (${where})`, async () => {
      const q = await open(wake);
      await q.reset();
      for (let i = 0; i < 150; i += 1) await q.enqueueOne(payload(i));
      const bulk = Array.from({ length: 200 }, (_, k) => payload(150 + k));
      await q.enqueueBulk(bulk.slice(0, 100));
      await q.enqueueBulk(bulk.slice(100));
      expect(await sentRows()).toBe(0);
      await runAll(q, 350, async () => {});
    });

    it(`picks up jobs enqueued while the workers run (${where})`, async () => {
      const q = await open(wake);
      await q.reset();
      await runAll(q, 200, async () => {
        const pending: Array<Promise<void>> = [];
        for (let i = 0; i < 200; i += 1) {
          pending.push(q.enqueueOne(payload(i)));
          if (i % 20 === 19) await new Promise((r) => setImmediate(r));
        }
        await Promise.all(pending);
      });
      // reset empties the queue between the harness's phases.
      await q.reset();
      expect(await sentRows()).toBe(0);
    });
  }

  it("says on stderr, when closed, how long the host took to start and the machine's load", async () => {
    const q = await open(true);
    const worker = await q.startWorker({ concurrency: 1, onStart: () => {}, onDone: () => {} });
    await worker.stop();
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await q.close();
    } finally {
      spy.mockRestore();
      queue = undefined;
    }
    expect(written.join("")).toMatch(/peer-adapter: host start-up \d+ ms\n/);
    expect(written.join("")).toMatch(/peer-adapter: load average \d+\.\d\d \d+\.\d\d \d+\.\d\d on \d+ cores\n/);
  });
});
