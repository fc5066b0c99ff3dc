import fs from "node:fs";
import path from "node:path";
import type { Browser, BrowserContextOptions } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser, openPage, untilIdle } from "../helpers/browser.js";
import { type DemoSteward, startDemoSteward } from "../helpers/demo-steward.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { projectRoot } from "../helpers/steward-process.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Screenshots of every dashboard page for the README and docs: desktop 1280x800 and a phone,
 * into docs/images/. Run with `npm run screenshots`. Every page comes from a real `steward
 * start` on the demo's data, sending to a real SMTP server on loopback, after a database backup
 * and a batch of mail in which one address is refused with 550.
 */
const out = path.join(projectRoot, "docs", "images");
const MAX_BYTES = 150 * 1024;
const BOUNCE = "no-such-reader@example.com";
const BATCH = "newsletter-december";
let browser: Browser;
let sink: SmtpSink;
let steward: DemoSteward;
let bounced = "";

async function post(urlPath: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${steward.url}${urlPath}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

const getJson = async <T>(urlPath: string): Promise<T> => (await (await fetch(`${steward.url}${urlPath}`)).json()) as T;

/** A newsletter batch through the API: every reader's copy sent, the one unknown reader's refused. */
async function sendNewsletter(): Promise<void> {
  const readers = ["ana", "boris", "chen", "dara", "emil", "fatima", "goran", "hana", "ivo", "jana", "kofi"];
  const jobs = [...readers.map((r) => `${r}@example.com`), BOUNCE].map((to, i) => ({
    to: [to],
    subject: "December at the City Museum",
    text: `Dear reader ${i + 1}, the winter exhibition opens on the 12th.`,
    html: `<p>Dear reader ${i + 1},</p><p>The <b>winter exhibition</b> opens on the 12th.</p>`,
  }));
  const batch = await post("/emails/batch", { batchId: BATCH, jobs });
  bounced = (batch.ids as string[])[jobs.length - 1] ?? "";
  await waitFor(async () => (await getJson<{ finishedAt: string | null }>(`/batches/${BATCH}`)).finishedAt !== null, {
    what: "the newsletter batch to settle",
  });
}

beforeAll(async () => {
  browser = await launchBrowser();
  sink = await SmtpSink.start({
    verdict: (info) =>
      info.recipients.includes(BOUNCE)
        ? { code: 550, message: "5.1.1 <no-such-reader@example.com>: no such user" }
        : "accept",
  });
  steward = await startDemoSteward({
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: String(sink.port),
    EMAIL_FROM: "City Museum <news@example.com>",
  });
  await sendNewsletter();
  // One backup in the list, run the way the page runs it.
  const run = await fetch(`${steward.url}/backups`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ kind: "database" }),
  });
  const { id } = (await run.json()) as { id: string };
  for (;;) {
    const list = (await (await fetch(`${steward.url}/backups`)).json()) as {
      items: Array<{ id: string; status: string }>;
    };
    if (list.items.find((b) => b.id === id)?.status !== "running") break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});
afterAll(async () => {
  await browser?.close();
  await steward?.proc.stop();
  await sink?.stop();
});

const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, deviceScaleFactor: 1 };

async function shoot(name: string, hash: string, options: BrowserContextOptions) {
  const { page, problems, close } = await openPage(browser, `${steward.url}/${hash}`, options);
  try {
    await page.locator("main h2").first().waitFor();
    await untilIdle(page);
    await page.locator("#live", { hasText: "live" }).waitFor();
    const file = path.join(out, `dashboard-${name}.png`);
    await page.screenshot({ path: file });
    const size = fs.statSync(file).size;
    console.log(`${path.relative(projectRoot, file)}: ${(size / 1024).toFixed(0)} KiB`);
    expect(size).toBeLessThan(MAX_BYTES);
    expect(problems).toEqual([]);
  } finally {
    await close();
  }
}

it("takes a screenshot of each page", async () => {
  fs.mkdirSync(out, { recursive: true });
  await shoot("overview", "#/overview", DESKTOP);
  await shoot("email", "#/email", DESKTOP);
  await shoot("email-job", `#/email/${encodeURIComponent(bounced)}`, DESKTOP);
  await shoot("lifecycle", "#/lifecycle", DESKTOP);
  await shoot("video", "#/video", DESKTOP);
  await shoot("backups", "#/backups", DESKTOP);
  await shoot("phone-email", "#/email", PHONE);
  await shoot("phone-overview-dark", "#/overview", { ...PHONE, colorScheme: "dark" });
});
