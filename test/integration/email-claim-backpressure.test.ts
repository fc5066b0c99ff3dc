import { afterEach, beforeEach, expect, it } from "vitest";
import { enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import type { EmailStore } from "../../src/services/email/store.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { statusCounts } from "../helpers/email.js";
import { bareWorkerPool } from "../helpers/worker-pool.js";

// A slow write of outcomes (a database busy with something else, a bad plan) must hold the
// claims back: the jobs whose outcomes wait are still leased to this process, and each of them
// is sent again if it crashes. Once, a PostgreSQL settle of 21 s let one pool claim all 20,000
// jobs of a backlog while it ran. The slowness is a wrapper's: a real database cannot be told
// to be slow on cue.

const JOBS = 5_000;
const WORKERS = 3;

describeEachDialect("claims held back by outcomes not yet recorded", (_dialect, makeDb) => {
  let t: TestDb;
  let store: EmailStore;
  beforeEach(async () => {
    t = await makeDb();
    store = createEmailStore(t.db, { claimThread: true });
  });
  afterEach(async () => {
    await store.close();
    await t.cleanup();
  });

  it("never leases more than its claim-ahead while each settle takes 100 ms, and sends every job", async () => {
    await enqueueEmails(
      t.db.sql,
      Array.from({ length: JOBS }, (_, i) => ({ to: `reader${i}@example.com`, subject: `n${i}`, text: "x" })),
    );
    let leased = 0;
    let mostLeased = 0;
    const slow: EmailStore = Object.create(store);
    slow.claim = async (request) => {
      const jobs = await store.claim(request);
      leased += jobs.length;
      mostLeased = Math.max(mostLeased, leased);
      return jobs;
    };
    slow.settle = async (holder, outcomes) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const changed = await store.settle(holder, outcomes);
      leased -= outcomes.length;
      return changed;
    };
    const pool = bareWorkerPool({ store: slow, workers: WORKERS, holder: "backpressure-test" });
    // ClaimAhead's most (the send slots and the store's most claimed ahead of them), and the
    // outcomes a writer keeping up has in hand: two batches the size of a claim.
    const hold = WORKERS + store.maxClaimAhead;
    const mostLeasedAllowed = hold + 2 * hold;
    const totals = await pool.drain();
    expect(totals.sent).toBe(JOBS);
    expect((await statusCounts(t.db)).sent).toBe(JOBS);
    // Without the hold-back every job was claimed during the first slow settles.
    expect(mostLeased).toBeGreaterThan(0);
    expect(mostLeased).toBeLessThanOrEqual(mostLeasedAllowed);
  }, 60_000);
});
