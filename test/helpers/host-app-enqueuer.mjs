// A host app in its own process, for the cross-process pickup tests: it opens the database
// itself (better-sqlite3 or a pg Pool, as a host app does) and, on each message from the test,
// enqueues one job through the public API (the compiled package entry), two in one bulk call
// (`bulk`: subjects "<subject> 1" and "<subject> 2"), or inserts a row straight into email_jobs,
// then answers. It never tells Steward anything else.
import Sqlite from "better-sqlite3";
import pg from "pg";
import { enqueueEmail, enqueueEmailSync, enqueueEmails, enqueueEmailsSync } from "../../dist/src/index.js";

const [url] = process.argv.slice(2);
const onPg = url.startsWith("postgres");
const db = onPg ? new pg.Pool({ connectionString: url, max: 1 }) : new Sqlite(url);

async function enqueue(subject) {
  const input = { to: "reader@example.com", subject, text: "from the host app" };
  if (onPg) await enqueueEmail(db, input);
  else db.transaction(() => enqueueEmailSync(db, input))();
}

async function enqueueTwo(subject) {
  const inputs = [1, 2].map((n) => ({
    to: "reader@example.com",
    subject: `${subject} ${n}`,
    text: "from the host app",
  }));
  if (onPg) await enqueueEmails(db, inputs);
  else db.transaction(() => enqueueEmailsSync(db, inputs))();
}

async function insert(subject) {
  const text = "insert into email_jobs (to_addrs, subject, text_body) values ($1, $2, $3)";
  const params = ['["reader@example.com"]', subject, "inserted by hand"];
  if (onPg) await db.query(text, params);
  else db.prepare(text.replaceAll(/\$\d/g, "?")).run(...params);
}

process.on("message", async (message) => {
  if (message.op === "close") {
    await (onPg ? db.end() : db.close());
    process.disconnect();
    return;
  }
  await { api: enqueue, bulk: enqueueTwo, sql: insert }[message.op](message.subject);
  process.send({ done: message.subject });
});
process.send({ ready: true });
