import fs from "node:fs";
import path from "node:path";
import type { Browser, BrowserContextOptions } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser, openPage, untilIdle } from "../helpers/browser.js";
import { DashboardFixture } from "../helpers/dashboard-fixture.js";
import { type DemoSteward, startDemoSteward } from "../helpers/demo-steward.js";
import { projectRoot } from "../helpers/steward-process.js";

/**
 * Screenshots of every dashboard page for the README and docs: desktop 1280x800 and a phone,
 * into docs/images/. Run with `npm run screenshots`. Overview, lifecycle, video and backups
 * come from a real `steward start` on the demo's data, after a database backup; the email
 * pages from the fixture API, until the email routes they read are in this tree.
 */
const out = path.join(projectRoot, "docs", "images");
const MAX_BYTES = 150 * 1024;
let browser: Browser;
let fx: DashboardFixture;
let steward: DemoSteward;

beforeAll(async () => {
  browser = await launchBrowser();
  fx = await DashboardFixture.start();
  steward = await startDemoSteward();
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
  await fx?.close();
  await steward?.proc.stop();
});

const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, deviceScaleFactor: 1 };

async function shoot(
  name: string,
  hash: string,
  options: BrowserContextOptions,
  before?: () => Promise<void>,
  base: "real" | "fixture" = "real",
) {
  const url = base === "real" ? steward.url : fx.url;
  const { page, problems, close } = await openPage(browser, `${url}/${hash}`, options);
  try {
    await page.locator("main h2").first().waitFor();
    await untilIdle(page);
    if (base === "fixture") await fx.waitForStreams();
    else await page.locator("#live", { hasText: "live" }).waitFor();
    await before?.();
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
  const batch = async () =>
    fx.emit("batch", {
      batchId: "newsletter-december",
      total: 400,
      counts: { pending: 120, sending: 4, sent: 262, failed: 14, cancelled: 0 },
      startedAt: fx.data.now.toISOString(),
      finishedAt: null,
    });
  await shoot("overview", "#/overview", DESKTOP);
  await shoot("email", "#/email", DESKTOP, batch, "fixture");
  await shoot("email-job", "#/email/job-056", DESKTOP, undefined, "fixture");
  await shoot("lifecycle", "#/lifecycle", DESKTOP);
  await shoot("video", "#/video", DESKTOP);
  await shoot("backups", "#/backups", DESKTOP);
  await shoot("phone-email", "#/email", PHONE, batch, "fixture");
  await shoot("phone-overview-dark", "#/overview", { ...PHONE, colorScheme: "dark" });
});
