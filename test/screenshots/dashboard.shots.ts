import fs from "node:fs";
import path from "node:path";
import type { Browser, BrowserContextOptions } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser, openPage, untilIdle } from "../helpers/browser.js";
import { DashboardFixture } from "../helpers/dashboard-fixture.js";
import { projectRoot } from "../helpers/steward-process.js";

/**
 * Screenshots of every dashboard page for the README and docs, from the fixture API:
 * desktop 1280x800 and a phone, into docs/images/. Run with `npm run screenshots`.
 */
const out = path.join(projectRoot, "docs", "images");
const MAX_BYTES = 150 * 1024;
let browser: Browser;
let fx: DashboardFixture;

beforeAll(async () => {
  browser = await launchBrowser();
  fx = await DashboardFixture.start();
});
afterAll(async () => {
  await browser?.close();
  await fx?.close();
});

const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, deviceScaleFactor: 1 };

async function shoot(name: string, hash: string, options: BrowserContextOptions, before?: () => Promise<void>) {
  const { page, problems, close } = await openPage(browser, `${fx.url}/${hash}`, options);
  try {
    await page.locator("main h2").first().waitFor();
    await untilIdle(page);
    await fx.waitForStreams();
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
  const backup = async () =>
    fx.emit("backup", {
      id: "bk-101",
      kind: "full",
      phase: "storage",
      percent: 62,
      bytes: 331_000_000,
      status: "running",
    });
  await shoot("overview", "#/overview", DESKTOP);
  await shoot("email", "#/email", DESKTOP, batch);
  await shoot("email-job", "#/email/job-056", DESKTOP);
  await shoot("lifecycle", "#/lifecycle", DESKTOP);
  await shoot("video", "#/video", DESKTOP);
  await shoot("backups", "#/backups", DESKTOP, backup);
  await shoot("phone-email", "#/email", PHONE, batch);
  await shoot("phone-overview-dark", "#/overview", { ...PHONE, colorScheme: "dark" });
});
