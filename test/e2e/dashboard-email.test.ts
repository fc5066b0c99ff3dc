import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchBrowser, openPage, type WatchedPage } from "../helpers/browser.js";
import { tempDir } from "../helpers/db.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { baseEnv, StewardProcess } from "../helpers/steward-process.js";
import { waitFor } from "../helpers/wait.js";

/**
 * The Email page on a real `steward start`, sending to a real SMTP server: counts follow mail
 * enqueued through the API, a job the server refuses with 550 is retried by a click and sent,
 * and the pause button stops and restarts sending. The page is reloaded to see new counts
 * (the live stream is another branch's), which is what an operator without it would do.
 */
const BOUNCE = "bounce@example.com";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(() => browser?.close());

describe("the Email page on a running steward", () => {
  let dir: string;
  let sink: SmtpSink;
  let proc: StewardProcess;
  let port: number;
  let w: WatchedPage | undefined;

  beforeEach(async () => {
    dir = tempDir();
    // The first attempt to the bounce address is refused for good; any later one is taken.
    sink = await SmtpSink.start({
      verdict: (info) =>
        info.recipients.includes(BOUNCE) && info.attempt === 1
          ? { code: 550, message: "5.1.1 no such user" }
          : "accept",
    });
    const env = baseEnv({
      DATA_DIR: path.join(dir, "data"),
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(sink.port),
      EMAIL_FROM: "Steward <steward@example.test>",
      EMAIL_POLL_INTERVAL_MS: "200",
    });
    proc = new StewardProcess({ env, cwd: dir });
    port = await proc.ready();
  });
  afterEach(async () => {
    await w?.close();
    w = undefined;
    await proc.stop();
    await sink.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function api(method: string, urlPath: string, body?: unknown) {
    const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const tile = (page: Page, status: string) => page.locator(`[data-count=${status}] dd`);

  /** Reloads the page until the count of `status` reads `n`. */
  async function untilCount(page: Page, status: string, n: number): Promise<void> {
    await waitFor(
      async () => {
        await page.reload();
        await tile(page, status).waitFor();
        return (await tile(page, status).innerText()) === String(n);
      },
      { what: `${n} ${status} on the page`, everyMs: 300 },
    );
  }

  /** Refused requests, by path: this branch does not serve the live stream (/events) yet. */
  let refused: string[] = [];

  async function open(hash: string): Promise<Page> {
    refused = [];
    // Blank first, so the listener sees every request of the page's first load too.
    w = await openPage(browser, "about:blank");
    w.page.on("response", (r) => {
      if (r.status() >= 400) refused.push(new URL(r.url()).pathname);
    });
    await w.page.goto(`http://127.0.0.1:${port}/${hash}`);
    return w.page;
  }

  /** What went wrong in the page, less the browser's line for each refused /events. */
  function pageProblems(): string[] {
    expect(refused.filter((p) => p !== "/events")).toEqual([]);
    const eventsLine = "console: Failed to load resource: the server responded with a status of 404 (Not Found)";
    return (w?.problems ?? []).filter((p) => p !== eventsLine);
  }

  it("shows the counts change, and a job refused with 550 retried by a click is sent", async () => {
    const page = await open("#/email");
    await tile(page, "sent").waitFor();
    expect(await tile(page, "sent").innerText()).toBe("0");

    const jobs = [1, 2, 3].map((i) => ({ to: [`reader${i}@example.com`], subject: `Hello ${i}`, text: "hi" }));
    const batch = await api("POST", "/emails/batch", { batchId: "welcome", jobs });
    expect(batch.status).toBe(202);
    await untilCount(page, "sent", 3);

    const posted = await api("POST", "/emails", { to: [BOUNCE], subject: "Bounces once", text: "x" });
    const id = posted.body.id as string;
    await untilCount(page, "failed", 1);

    await page.goto(`http://127.0.0.1:${port}/#/email/${encodeURIComponent(id)}`);
    const facts = page.locator("dl.facts").first();
    await facts.getByText("550", { exact: true }).waitFor();
    expect(await facts.innerText()).toContain("no such user");
    // The real job has no limit of its own: one attempt, no "of null"; a failed job plans no attempt.
    const fact = async (term: string) => (await facts.locator(`dt:text-is("${term}") + dd`).innerText()).trim();
    expect(await fact("Attempts")).toBe("1");
    expect(await fact("Next attempt")).toBe("—");
    await page.getByRole("button", { name: "Retry this job" }).click();
    await page.getByText(`Job ${id} is now pending.`).waitFor();
    await waitFor(
      async () => {
        await page.reload();
        await facts.waitFor();
        return (await facts.locator(".badge").first().innerText()) === "sent";
      },
      { what: "the job to show as sent", everyMs: 300 },
    );
    await sink.waitForMessages(4);
    expect(sink.messages.map((m) => m.parsed?.subject)).toContain("Bounces once");
    expect(sink.attempts.filter((a) => a.recipients.includes(BOUNCE)).map((a) => a.verdict)).toEqual([550, "accept"]);

    await page.goto(`http://127.0.0.1:${port}/#/email`);
    await untilCount(page, "sent", 4);
    expect(await tile(page, "failed").innerText()).toBe("0");
    expect(pageProblems()).toEqual([]);
  });

  it("pauses and resumes sending by clicking", async () => {
    const page = await open("#/email");
    await tile(page, "pending").waitFor();
    await page.getByRole("button", { name: "Pause sending" }).click();
    await page.getByRole("button", { name: "Resume sending" }).waitFor();
    expect((await api("GET", "/emails/stats")).body.paused).toBe(true);
    const details = async () => ((await api("GET", "/status/email")).body.details ?? {}) as Record<string, unknown>;
    await waitFor(async () => (await details()).paused === true, { what: "the workers to see the pause" });

    const id = (await api("POST", "/emails", { to: ["held@example.com"], subject: "Held", text: "x" })).body.id;
    // Two refreshes of the process's counts after the enqueue: the workers had their chances, and the job waits.
    const seen = await waitFor(async () => {
      const d = await details();
      return (d.counts as Record<string, number> | null)?.pending === 1 && (d.countsAt as string);
    });
    await waitFor(async () => (await details()).countsAt !== seen, { what: "another refresh of the counts" });
    expect(sink.attempts).toHaveLength(0);
    await untilCount(page, "pending", 1);
    expect(await page.locator("[data-oldest]").innerText()).not.toBe("none pending");

    await page.getByRole("button", { name: "Resume sending" }).click();
    await page.getByRole("button", { name: "Pause sending" }).waitFor();
    await sink.waitForMessages(1);
    expect(sink.messages[0]?.parsed?.subject).toBe("Held");
    await untilCount(page, "sent", 1);
    expect((await api("GET", `/emails/${id}`)).body.status).toBe("sent");
    expect(pageProblems()).toEqual([]);
  });
});
