import { afterEach, beforeEach, expect, it } from "vitest";
import { createEmailStore } from "../../src/services/email/store/create.js";
import type { EmailJob } from "../../src/services/email/store/job.js";
import type { TestApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { emailApp } from "../helpers/email.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Rows a host app inserts straight into email_jobs skip enqueueEmail's checks; the sender holds
 * them to the same rules when it claims them, and fails a bad one with the API's reason.
 */
describeEachDialect("rows inserted straight into email_jobs", (dialect, makeDb) => {
  let t: TestDb;
  let sink: SmtpSink;
  let host: TestApp | undefined;

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

  async function insert(id: string, columns: Record<string, unknown>): Promise<void> {
    const row: Record<string, unknown> = { id, to_addrs: '["reader@example.com"]', subject: "by hand", ...columns };
    const names = Object.keys(row);
    await t.db.sql.run(
      `insert into email_jobs (${names.join(", ")}) values (${names.map(() => "?").join(", ")})`,
      Object.values(row),
    );
  }

  async function settled(id: string): Promise<EmailJob> {
    const store = createEmailStore(t.db);
    return waitFor(async () => {
      const job = await store.get(id);
      return job && (job.status === "sent" || job.status === "failed") && job;
    });
  }

  it("fails unreadable headers, a missing body and a body over EMAIL_MAX_BYTES with the API's reason, and sends a good row", async () => {
    // Unparseable text is only possible in SQLite's text column; PostgreSQL's jsonb takes any JSON, an array too.
    if (dialect === "sqlite") await insert("bad-json", { text_body: "x", headers: '{"X-Campaign": "spring", oops' });
    await insert("headers-array", { text_body: "x", headers: '["X-Campaign: spring"]' });
    await insert("no-body", {});
    await insert("too-big", { text_body: "x".repeat(3_000) });
    await insert("good", { text_body: "fine", headers: '{"X-Campaign": "spring"}' });
    host = emailApp({ databaseUrl: t.url, sink, env: { EMAIL_MAX_BYTES: "2048" } });
    await host.app.start();

    if (dialect === "sqlite") {
      const badJson = await settled("bad-json");
      expect(badJson.status).toBe("failed");
      expect(badJson.lastError).toMatch(/^headers is not valid JSON \(.+\)$/);
    }
    expect(await settled("headers-array")).toMatchObject({
      status: "failed",
      lastError: "headers must be an object of strings, not an array",
    });
    expect(await settled("no-body")).toMatchObject({
      status: "failed",
      lastError: "a body is required: text, html or templateId",
    });
    const tooBig = await settled("too-big");
    expect(tooBig.status).toBe("failed");
    expect(tooBig.lastError).toMatch(/^message is 30\d\d bytes, more than EMAIL_MAX_BYTES \(2048\)$/);
    expect(await settled("good")).toMatchObject({ status: "sent", attempts: 1 });

    // Only the good row reached the server, with the headers it asked for.
    await sink.waitForMessages(1);
    expect(sink.attempts).toHaveLength(1);
    expect(sink.messages[0]?.parsed?.headers.get("x-campaign")).toBe("spring");
  });
});
