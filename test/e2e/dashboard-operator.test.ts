import path from "node:path";
import Database from "better-sqlite3";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, openPage, type WatchedPage } from "../helpers/browser.js";
import { startDemoSteward } from "../helpers/demo-steward.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import type { StewardProcess } from "../helpers/steward-process.js";
import { waitFor } from "../helpers/wait.js";

/**
 * The operator commands that had no button before, clicked in a real Chromium against a real
 * `steward start`: each control calls the route that shares its function with the command
 * (`email send`, `email drain`, `email verify-smtp`, `run lifecycle|video`, `lifecycle plan
 * --days`, `backup run rotation`, `doctor recount`), and the test checks what it did.
 */
let browser: Browser;
let open: WatchedPage[] = [];
let procs: StewardProcess[] = [];
let sinks: SmtpSink[] = [];
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(() => browser?.close());
afterEach(async () => {
  await Promise.all(open.map((w) => w.close()));
  open = [];
  await Promise.all(procs.map((p) => p.stop()));
  procs = [];
  await Promise.all(sinks.map((s) => s.stop()));
  sinks = [];
});

async function visit(url: string): Promise<WatchedPage> {
  const w = await openPage(browser, url);
  open.push(w);
  return w;
}

const message = (page: Page, has: string) => page.locator(".messages", { hasText: has }).first().waitFor();

describe("operator controls on a running steward", () => {
  it("queues an email from a form, sends it by 'Send due mail now', and checks SMTP", async () => {
    const sink = await SmtpSink.start();
    sinks.push(sink);
    // No workers in this process: the job waits until the drain button sends it.
    const steward = await startDemoSteward({
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(sink.port),
      EMAIL_FROM: "Steward <steward@example.test>",
      EMAIL_QUEUE_ENABLED: "false",
    });
    procs.push(steward.proc);
    const { page, problems } = await visit(`${steward.url}/#/email`);
    const form = page.getByRole("form", { name: "Send one email" });
    await form.getByLabel("To").fill("reader@example.com");
    await form.getByLabel("Subject").fill("From the dashboard <b>not bold</b>");
    await form.getByLabel("Text").fill("hello");
    await page.getByRole("button", { name: "Queue email" }).click();
    await message(page, "Queued email");
    // The form leads to the new job, still pending: nobody sends in this process.
    await page.locator("dl.facts .badge", { hasText: "pending" }).first().waitFor();
    expect(sink.attempts).toHaveLength(0);

    await page.goto(`${steward.url}/#/email`);
    await page.getByRole("button", { name: "Send due mail now" }).click();
    await message(page, "Drained");
    expect(await page.locator(".messages").innerText()).toMatch(
      /Drained \d+ job\(s\): \d+ sent, 0 to retry, 0 failed\./,
    );
    const sent = sink.messages.find((m) => m.parsed?.subject === "From the dashboard <b>not bold</b>");
    expect(sent?.parsed?.text?.trim()).toBe("hello");

    // The list's sent range goes to GET /emails as sentFrom/sentTo and the server filters on it.
    const filters = page.getByRole("search", { name: "Filter jobs" });
    await filters.getByLabel("Sent to").fill("2000-01-01T00:00");
    const before2000 = page.waitForResponse((r) => r.url().includes("/emails?sentTo=2000-01-01T00%3A00%3A00.000Z"));
    await filters.getByRole("button", { name: "Apply filters" }).click();
    expect(((await (await before2000).json()) as { items: unknown[] }).items).toEqual([]);
    await page.getByRole("button", { name: "Clear" }).click();
    await filters.getByLabel("Sent from").fill("2000-01-01T00:00");
    await filters.getByRole("button", { name: "Apply filters" }).click();
    await page.locator("table td a", { hasText: "From the dashboard <b>not bold</b>" }).waitFor();
    expect(page.url()).toContain("sentFrom=2000-01-01T00%3A00");

    await page.getByRole("button", { name: "Check the SMTP connection" }).click();
    await message(page, `SMTP: connected to 127.0.0.1:${sink.port}; login skipped`);
    expect(problems).toEqual([]);
  });

  it("runs lifecycle and video passes, changes the plan's window, rotates backups and recounts", async () => {
    const steward = await startDemoSteward();
    procs.push(steward.proc);
    const { page, problems } = await visit(`${steward.url}/#/lifecycle`);
    await page.locator(".timeline summary").first().waitFor();
    await page.getByRole("button", { name: "Run a lifecycle pass now" }).click();
    await message(page, "The lifecycle pass ran:");

    const days = page.getByLabel("Days ahead");
    expect(await days.inputValue()).toBe("30");
    const planAsked = page.waitForRequest((r) => r.url().includes("/lifecycle/plan?days=400"));
    await days.fill("400");
    await page.getByRole("button", { name: "Show plan" }).click();
    await planAsked;
    await page.getByRole("heading", { name: "Notices due in the next 400 days" }).waitFor();

    await page.getByRole("link", { name: "Video" }).click();
    await page.getByRole("button", { name: "Run a video pass now" }).click();
    await message(page, "The video pass ran:");

    await page.getByRole("link", { name: "Backups" }).click();
    // Its confirm() is accepted by openPage, as a person would.
    await page.getByRole("button", { name: "Delete old backups now" }).click();
    await message(page, "Rotation done: 0 deleted");

    // A counter made wrong behind the triggers' back, as a host app's TRUNCATE would.
    const db = new Database(path.join(steward.dir, "data", "steward.db"));
    try {
      db.prepare(
        "update counters set n = n + 5 where name = (select min(name) from counters where name <> 'email_jobs.counted_through')",
      ).run();
    } finally {
      db.close();
    }
    await page.getByRole("link", { name: "Overview" }).click();
    await page.getByRole("button", { name: "Recount status counters" }).click();
    await message(page, "had drifted");
    const drifted = page.getByRole("region", { name: "Counters that had drifted" });
    await drifted.locator("td code").first().waitFor();
    expect(await drifted.locator("tbody tr").count()).toBe(1);
    await waitFor(async () => (await page.locator(".messages").innerText()).includes("1 had drifted"));
    expect(problems).toEqual([]);
  });
});
