import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.js";
import { type Database, openDatabase } from "../../src/db/open.js";
import { enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import type { EmailStore } from "../../src/services/email/store.js";
import { tempDir } from "../helpers/db.js";
import { waitFor } from "../helpers/wait.js";
import { bareWorkerPool } from "../helpers/worker-pool.js";

// SQLite claims and settles on the main connection are synchronous, and a transport that needs
// no I/O answers in a microtask: without a yield between claims the pool ran a whole backlog as
// one chain of promises, and no timer (lease renewal, the status refresh, the claim thread's
// start-up message) ran until it was done.

const JOBS = 3_000;

let db: Database;
let store: EmailStore;
beforeEach(async () => {
  db = openDatabase({ dialect: "sqlite", file: path.join(tempDir(), "steward.db") });
  await migrate(db);
  store = createEmailStore(db);
});
afterEach(async () => {
  await store.close();
  await db.close();
});

it("lets timers run between claims while it works through a backlog with an instant transport", async () => {
  await enqueueEmails(
    db.sql,
    Array.from({ length: JOBS }, (_, i) => ({ to: `reader${i}@example.com`, subject: `n${i}`, text: "x" })),
  );
  const pool = bareWorkerPool({ store, workers: 10, holder: "yield-test" });
  const sentWhenTimerRan = new Promise<number>((resolve) => setTimeout(() => resolve(pool.totals.sent), 0));
  pool.start();
  try {
    const sentThen = await sentWhenTimerRan;
    await waitFor(() => pool.totals.sent === JOBS, { what: "every job sent" });
    expect(sentThen).toBeLessThan(JOBS);
  } finally {
    await pool.stop(1_000);
  }
});
