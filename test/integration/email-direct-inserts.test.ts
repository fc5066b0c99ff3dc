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

  /** Inserts a row as a host app would, leaving the id to the database; hands back that id. */
  async function insert(columns: Record<string, unknown>): Promise<string> {
    const row: Record<string, unknown> = { to_addrs: '["reader@example.com"]', subject: "by hand", ...columns };
    const names = Object.keys(row);
    const inserted = await t.db.sql.get<{ id: number | string }>(
      `insert into email_jobs (${names.join(", ")}) values (${names.map(() => "?").join(", ")}) returning id`,
      Object.values(row),
    );
    return String(inserted?.id);
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
    const badJson =
      dialect === "sqlite" ? await insert({ text_body: "x", headers: '{"X-Campaign": "spring", oops' }) : undefined;
    const headersArray = await insert({ text_body: "x", headers: '["X-Campaign: spring"]' });
    const noBody = await insert({});
    const tooBig = await insert({ text_body: "x".repeat(3_000) });
    const good = await insert({ text_body: "fine", headers: '{"X-Campaign": "spring"}' });
    host = emailApp({ databaseUrl: t.url, sink, env: { EMAIL_MAX_BYTES: "2048" } });
    await host.app.start();

    if (badJson !== undefined) {
      const badJsonJob = await settled(badJson);
      expect(badJsonJob.status).toBe("failed");
      expect(badJsonJob.lastError).toMatch(/^headers is not valid JSON \(.+\)$/);
    }
    expect(await settled(headersArray)).toMatchObject({
      status: "failed",
      lastError: "headers must be an object of strings, not an array",
    });
    expect(await settled(noBody)).toMatchObject({
      status: "failed",
      lastError: "a body is required: text, html or templateId",
    });
    const tooBigJob = await settled(tooBig);
    expect(tooBigJob.status).toBe("failed");
    expect(tooBigJob.lastError).toMatch(/^message is 30\d\d bytes, more than EMAIL_MAX_BYTES \(2048\)$/);
    expect(await settled(good)).toMatchObject({ status: "sent", attempts: 1 });

    // Only the good row reached the server, with the headers it asked for.
    await sink.waitForMessages(1);
    expect(sink.attempts).toHaveLength(1);
    expect(sink.messages[0]?.parsed?.headers.get("x-campaign")).toBe("spring");
  });
});
