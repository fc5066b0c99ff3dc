import { afterEach, beforeEach, expect, it } from "vitest";
import { numbered } from "../../src/db/pg-sql.js";
import { enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import type { EmailJob } from "../../src/services/email/store/job.js";
import { SETTLE_MANY } from "../../src/services/email/store/pg.js";
import type { EmailStore } from "../../src/services/email/store.js";
import { describePg, pgTestDb, type TestDb } from "../helpers/db.js";

// The settle's prepared statement is planned once per connection, for any array: its generic
// plan takes the outcomes for ten rows. With statistics from before a burst of jobs (none in
// flight then), it took the jobs in flight for one too, and joined them to the outcomes with a
// nested loop that read every outcome again for each job in flight: 8,551 outcomes against
// 20,000 such jobs took 21 s. PgEmailStore.settle turns nested loops off for its transaction.

describePg("the PostgreSQL settle's plan", () => {
  let t: TestDb;
  let store: EmailStore;
  beforeEach(async () => {
    t = await pgTestDb();
    store = createEmailStore(t.db);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const enqueue = (n: number) =>
    enqueueEmails(
      t.db.sql,
      Array.from({ length: n }, (_, i) => ({ to: `reader${i}@example.com`, subject: `n${i}`, text: "x" })),
    );
  const claimAll = async (): Promise<EmailJob[]> => {
    const all: EmailJob[] = [];
    for (;;) {
      const jobs = await store.claim({
        holder: "h",
        now: new Date(),
        leaseMs: 60_000,
        limit: 500,
        messageIdDomain: "d",
      });
      if (jobs.length === 0) return all;
      all.push(...jobs);
    }
  };

  /** Records `jobs` as sent, through the store: the number of rows changed. */
  const sentAll = (jobs: EmailJob[]) =>
    store.settle(
      "h",
      jobs.map((j) => ({
        kind: "sent",
        id: j.id,
        at: new Date(),
        rejected: [],
        note: null,
        code: 250,
        recipients: null,
      })),
    );

  /** The generic plan of SETTLE_MANY for `jobs`' outcomes, with `setting` in force. */
  async function genericPlan(jobs: EmailJob[], setting: string): Promise<string> {
    const list = (values: string[]) => `'{${values.join(",")}}'`;
    const nulls = list(jobs.map(() => "NULL"));
    const at = new Date().toISOString();
    const args = [
      list(jobs.map((j) => j.id)),
      list(jobs.map(() => "sent")),
      list(jobs.map(() => `"${at}"`)),
      nulls,
      nulls,
      nulls,
      list(jobs.map(() => "250")),
      nulls,
      list(jobs.map(() => "0")),
      "'h'",
    ];
    return t.db.sql.tx(async (tx) => {
      await tx.run("set local plan_cache_mode = force_generic_plan");
      await tx.run(setting);
      await tx.run(`prepare settle_plan_test as ${numbered(SETTLE_MANY)}`);
      const rows = await tx.all<{ "QUERY PLAN": string }>(`explain execute settle_plan_test(${args.join(", ")})`);
      await tx.run("deallocate settle_plan_test");
      return rows.map((r) => r["QUERY PLAN"]).join("\n");
    });
  }

  it("joins the outcomes to the jobs in flight without a nested loop, however stale the statistics", async () => {
    // Statistics taken with a few jobs in flight, then a burst of them claimed.
    await enqueue(300);
    const first = await claimAll();
    await sentAll(first);
    await enqueue(3_000);
    const early = await store.claim({ holder: "h", now: new Date(), leaseMs: 60_000, limit: 8, messageIdDomain: "d" });
    await t.db.sql.run("analyze email_jobs");
    const inFlight = [...early, ...(await claimAll())];
    expect(inFlight).toHaveLength(3_000);

    // The hazard is there: left to itself, the generic plan loops.
    expect(await genericPlan(inFlight, "set local enable_nestloop = on")).toMatch(/Nested Loop/);
    // As settle() runs it: a hash join, whatever the guesses.
    const plan = await genericPlan(inFlight, "set local enable_nestloop = off");
    expect(plan).not.toMatch(/Nested Loop/);
    expect(plan).toMatch(/Hash Join|Merge Join/);

    // And the settle itself records every outcome.
    const changed = await sentAll(inFlight);
    expect(changed).toBe(3_000);
  }, 60_000);
});
