// A separate process contending for one lease, for the SIGKILL takeover test. It runs the
// compiled host code (vitest's global setup builds dist/) and prints one JSON line per attempt.
import { LeaseStore } from "../../dist/src/db/coordination/leases.js";
import { openDatabase } from "../../dist/src/db/open.js";
import { parseDatabaseUrl } from "../../dist/src/db/url.js";

const [url, name, holder, ttlText] = process.argv.slice(2);
const ttlMs = Number(ttlText);
const renewMs = Math.floor(ttlMs / 3);
const db = openDatabase(parseDatabaseUrl(url, process.cwd()), { poolSize: 1 });
const store = new LeaseStore(db.sql);
for (;;) {
  const at = Date.now();
  let held = false;
  try {
    held = await store.acquire(name, holder, ttlMs, new Date(at));
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ holder, error: String(error), at })}\n`);
  }
  process.stdout.write(`${JSON.stringify({ holder, held, at })}\n`);
  await new Promise((resolve) => setTimeout(resolve, renewMs));
}
