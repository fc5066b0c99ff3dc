// A separate process claiming the same ticks as its rivals, for the exactly-once test. It
// waits for "go" on stdin so that every claimer starts together, then prints the ticks it won.
import { TickClaimStore } from "../../dist/src/db/coordination/tick-claims.js";
import { openDatabase } from "../../dist/src/db/open.js";
import { parseDatabaseUrl } from "../../dist/src/db/url.js";

const [url, holder, countText] = process.argv.slice(2);
const db = openDatabase(parseDatabaseUrl(url, process.cwd()), { poolSize: 1 });
const store = new TickClaimStore(db.sql);
await store.lastClaimed("warm-up"); // connect before the race starts
process.stdout.write("ready\n");
await new Promise((resolve) => process.stdin.once("data", resolve));
process.stdin.destroy();
const won = [];
for (let n = 0; n < Number(countText); n += 1) {
  const tick = new Date(Date.UTC(2026, 0, 1, 2, n));
  if (await store.claim("backup:database", tick, holder, new Date())) won.push(n);
}
process.stdout.write(`${JSON.stringify(won)}\n`);
await db.close();
process.exit(0);
