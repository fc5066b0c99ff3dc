/**
 * The host app of `npm run bench -- pickup`, in a process of its own: it opens the database as
 * a host app does (better-sqlite3, or a pg Pool) and commits `jobs` jobs at `rate` a second,
 * through the public API (`api`) or a plain INSERT (`sql`). Each subject carries the moment its
 * enqueue began on the system-wide monotonic clock, for the sender to subtract. For the floor
 * on PostgreSQL, `notify` inserts the same row and NOTIFYs that moment in the same commit.
 */
import Sqlite from "better-sqlite3";
import pg from "pg";
import { enqueueEmail, enqueueEmailSync } from "../src/index.js";
import { monotonicMs } from "./_sink.js";

const [url = "", mode = "api", jobsText = "1000", rateText = "200"] = process.argv.slice(2);
const jobs = Number(jobsText);
const everyMs = 1000 / Number(rateText);
const insertSql = "insert into email_jobs (to_addrs, subject, text_body) values ($1, $2, $3)";
/** The same insert and commit, with a NOTIFY of its own that carries the start time. */
const notifySql = `with inserted as (${insertSql}) select pg_notify('steward_bench', $4)`;

async function main(): Promise<void> {
  const onPg = url.startsWith("postgres");
  const pool = onPg ? new pg.Pool({ connectionString: url, max: 1 }) : undefined;
  const sqlite = onPg ? undefined : new Sqlite(url);
  const insert = sqlite?.prepare(insertSql.replaceAll(/\$\d/g, "?"));
  const enqueue = async (subject: string) => {
    const to = "reader@example.com";
    if (mode === "notify") await pool?.query(notifySql, [JSON.stringify([to]), subject, "x", subject.split(" ")[2]]);
    else if (mode === "api") {
      if (pool) await enqueueEmail(pool, { to, subject, text: "x" });
      else enqueueEmailSync(sqlite as Sqlite.Database, { to, subject, text: "x" });
    } else if (pool) await pool.query(insertSql, [JSON.stringify([to]), subject, "x"]);
    else insert?.run(JSON.stringify([to]), subject, "x");
  };
  const start = monotonicMs();
  for (let i = 0; i < jobs; i += 1) {
    const wait = start + i * everyMs - monotonicMs();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await enqueue(`pickup ${i} ${monotonicMs()}`);
  }
  await pool?.end();
  sqlite?.close();
  process.send?.({ done: jobs });
}

await main();
