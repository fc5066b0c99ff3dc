import { afterEach, beforeEach, expect, it } from "vitest";
import type { Database } from "../../src/db/open.js";
import { notifyStatement } from "../../src/services/email/notify.js";
import type { TestApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { emailApp } from "../helpers/email.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { waitFor } from "../helpers/wait.js";

/** What another process's enqueue does, without this process's in-process wake-up. The database assigns the id. */
async function insertFromElsewhere(db: Database, name: string): Promise<void> {
  const now = new Date();
  await db.sql.run(
    "insert into email_jobs (to_addrs, subject, text_body, run_at, created_at, updated_at) values (?, ?, ?, ?, ?, ?)",
    ['["far@example.com"]', `from elsewhere ${name}`, "x", now, now, now],
  );
  if (db.dialect === "pg") await db.sql.run(notifyStatement);
}

describeEachDialect("wake-ups for jobs enqueued by another process", (dialect, makeDb) => {
  let t: TestDb;
  let sink: SmtpSink;
  let host: TestApp | undefined;
  const instance = `wake-${Math.random().toString(16).slice(2, 10)}`;
  const listenerName = `steward email listener ${instance}`;

  beforeEach(async () => {
    t = await makeDb();
    sink = await SmtpSink.start();
  });
  afterEach(async () => {
    await host?.app.stop();
    host = undefined;
    await sink.stop();
    await t.cleanup();
  });

  async function listenerPid(): Promise<number | undefined> {
    const row = await t.db.sql.get<{ pid: number }>(
      "select pid from pg_stat_activity where application_name = ? and query ilike 'listen%'",
      [listenerName],
    );
    return row?.pid;
  }

  if (dialect === "pg") {
    it("sends at once on NOTIFY, though the poll is ten minutes away, also after the listener reconnects", async () => {
      host = emailApp({ databaseUrl: t.url, sink, env: { EMAIL_POLL_INTERVAL_MS: "600000", INSTANCE_ID: instance } });
      await host.app.start();
      const first = await waitFor(listenerPid, { timeoutMs: 10_000, what: "the LISTEN connection" });
      const other = await t.another();
      await insertFromElsewhere(other, "n-1");
      await sink.waitForMessages(1);

      await t.db.sql.run("select pg_terminate_backend(?)", [first]);
      await waitFor(
        async () => {
          const pid = await listenerPid();
          return pid !== undefined && pid !== first;
        },
        { timeoutMs: 20_000, what: "the LISTEN connection to come back" },
      );
      await insertFromElsewhere(other, "n-2");
      await sink.waitForMessages(2);
      expect(sink.messages.map((m) => m.parsed?.subject).sort()).toEqual(["from elsewhere n-1", "from elsewhere n-2"]);
    });
  } else {
    it("picks up a row inserted by another process within EMAIL_POLL_INTERVAL_MS", async () => {
      host = emailApp({ databaseUrl: t.url, sink, env: { EMAIL_POLL_INTERVAL_MS: "200", INSTANCE_ID: instance } });
      await host.app.start();
      await insertFromElsewhere(await t.another(), "p-1");
      await sink.waitForMessages(1);
      expect(sink.messages[0]?.parsed?.subject).toBe("from elsewhere p-1");
    });
  }
});
