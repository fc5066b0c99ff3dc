import { afterEach, beforeEach, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { emailServiceDefinition } from "../../src/services/email/index.js";
import { testApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { SseClient } from "../helpers/sse.js";

interface Counts {
  counts: Record<string, number>;
}

describeEachDialect("the email queue on /events", (_dialect, makeDb) => {
  let t: TestDb;
  let app: App;
  let sse: SseClient | undefined;

  beforeEach(async () => {
    t = await makeDb();
    // Workers off: what is queued stays pending, so the counts are exactly what was posted.
    app = testApp([emailServiceDefinition()], {
      env: { DATABASE_URL: t.url, EMAIL_QUEUE_ENABLED: "false", EMAIL_FROM: "app@example.com" },
    }).app;
    await app.start();
  });
  afterEach(async () => {
    sse?.close();
    await app.stop();
    await t.cleanup();
  });

  const post = (path: string, body: unknown) =>
    fetch(`http://127.0.0.1:${app.port}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const pending = (m: { data: unknown }) => (m.data as Counts).counts.pending;

  it("sends the counts first, then again when they change, and a batch's progress", async () => {
    sse = await SseClient.connect(app.port);
    const first = await sse.next((m) => m.type === "counts");
    expect(pending(first)).toBe(0);

    expect((await post("/emails", { to: "a@example.com", subject: "s", text: "t" })).status).toBe(202);
    const one = await sse.next((m) => m.type === "counts" && pending(m) === 1);
    expect(one.data).toMatchObject({ counts: { pending: 1, sent: 0, failed: 0 } });

    const jobs = [1, 2, 3].map((i) => ({ to: `b${i}@example.com`, subject: "s", text: "t" }));
    const batch = await post("/emails/batch", { batchId: "newsletter-1", jobs });
    expect(batch.status).toBe(202);
    const progress = await sse.next((m) => m.type === "batch");
    expect(progress.data).toMatchObject({ batchId: "newsletter-1", total: 3 });
    await sse.next((m) => m.type === "counts" && pending(m) === 4);
  });
});
