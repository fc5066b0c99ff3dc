import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { formatInstant } from "../../src/dashboard/format.js";
import {
  inPage,
  launchBrowser,
  openPage,
  untilAttribute,
  untilIdle,
  untilInPage,
  type WatchedPage,
} from "../helpers/browser.js";
import { HOSTILE } from "../helpers/dashboard-data.js";
import { DashboardFixture } from "../helpers/dashboard-fixture.js";

/**
 * The dashboard in a real Chromium against the fixture API: each page renders from the
 * contract's answers, follows /events without a reload, shows stored values as text, and stays
 * usable by keyboard, on a phone and in the dark. Every page also runs without a console error,
 * which is where Chromium reports a CSP violation.
 */
let browser: Browser;
let fx: DashboardFixture;
let open: WatchedPage[] = [];
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(() => browser?.close());
beforeEach(async () => {
  fx = await DashboardFixture.start();
});
afterEach(async () => {
  await Promise.all(open.map((w) => w.close()));
  open = [];
  await fx.close();
});

async function visit(hash: string, options: Parameters<typeof openPage>[2] = {}): Promise<WatchedPage> {
  const w = await openPage(browser, `${fx.url}/${hash}`, options);
  open.push(w);
  return w;
}

const text = (page: Page, selector: string) => page.locator(selector).first().innerText();
const waitText = (page: Page, selector: string, has: string) =>
  page.locator(selector, { hasText: has }).first().waitFor();

describe("the dashboard's pages", () => {
  it("overview: every service, the instances and the alerts, times in the reader's zone with UTC on hover", async () => {
    const { page, problems } = await visit("#/overview", { timezoneId: "America/New_York" });
    await page.locator(".card[data-service=backup]").waitFor();
    expect(await page.locator(".card").count()).toBe(4);
    expect(await text(page, ".verdict")).toBe("All 4 enabled services running");
    await waitText(page, "table td", "app-2");
    await waitText(page, "table td", "SMTP unreachable for 2 min");
    const alertAt = fx.data.alerts[0]?.at as string;
    const shown = page.locator(`time[datetime="${alertAt}"]`).first();
    expect(await shown.getAttribute("title")).toBe(`${alertAt} (UTC)`);
    expect(await shown.innerText()).toBe(
      formatInstant(alertAt, { locale: "en-US", timeZone: "America/New_York" }).text,
    );
    await waitText(page, "#live", "live");
    expect(problems).toEqual([]);
  });

  it("overview follows service and alert messages live, without reloading", async () => {
    const { page, problems } = await visit("#/overview");
    await page.locator(".card[data-service=email]").waitFor();
    await fx.waitForStreams();
    await inPage(page, "window.__sameDocument = true");
    const email = fx.data.services[0];
    fx.emit("service", {
      ...email,
      state: "failed",
      lastError: { message: "SMTP refused login", at: fx.data.now.toISOString() },
    });
    await waitText(page, ".card[data-service=email] .badge", "failed");
    await waitText(page, ".health li", "email has failed: SMTP refused login");
    expect(await page.locator(".verdict").getAttribute("class")).toContain("v-error");
    fx.emit("alert", {
      id: "new",
      at: new Date(fx.data.now.getTime() + 1000).toISOString(),
      severity: "critical",
      key: "email.backlog",
      message: "3,000 jobs pending",
      instance: "app-2",
    });
    await waitText(page, "tbody tr:first-child td", "3,000 jobs pending");
    expect(await inPage(page, "window.__sameDocument")).toBe(true);
    expect(problems).toEqual([]);
  });

  it("email: counts, oldest pending, the chart and batch bars follow /events, in live regions", async () => {
    const { page, problems } = await visit("#/email");
    await page.locator("[data-count=failed] dd").waitFor();
    const stats = fx.stats();
    expect(await text(page, "[data-count=failed] dd")).toBe(String(stats.counts.failed));
    expect(await page.locator(".counts").getAttribute("aria-live")).toBe("polite");
    expect(await page.locator(".chart path.c-sent").getAttribute("d")).toMatch(/^M/);
    await fx.waitForStreams();
    const perMinute = stats.perMinute.map((m) => ({ ...m, sent: 1, failed: 0 }));
    fx.emit("counts", {
      ...stats,
      counts: { ...stats.counts, pending: 1234, failed: 0 },
      oldestPendingAgeSeconds: 90,
      perMinute,
    });
    await waitText(page, "[data-count=pending] dd", "1,234");
    expect(await text(page, "[data-oldest]")).toBe("1 min 30 s");
    expect(await page.locator(".chart-grid").getAttribute("data-sent")).toBe("60");
    fx.emit("batch", {
      batchId: "spring",
      total: 200,
      counts: { pending: 50, sending: 0, sent: 140, failed: 10, cancelled: 0 },
      startedAt: fx.data.now.toISOString(),
      finishedAt: null,
    });
    const bar = page.locator("[data-batch=spring] [role=progressbar]");
    await bar.waitFor();
    expect(await bar.getAttribute("aria-valuenow")).toBe("150");
    expect(await bar.getAttribute("aria-valuetext")).toBe("140 sent, 10 failed, 0 cancelled");
    fx.emit("batch", {
      batchId: "spring",
      total: 200,
      counts: { pending: 0, sending: 0, sent: 190, failed: 10, cancelled: 0 },
      startedAt: fx.data.now.toISOString(),
      finishedAt: fx.data.now.toISOString(),
    });
    await untilAttribute(page, "[data-batch=spring] [role=progressbar]", "aria-valuenow", "200");
    expect(problems).toEqual([]);
  });

  it("says 'reconnecting' when the stream drops and 'live' once the browser is back", async () => {
    const { page } = await visit("#/overview");
    await waitText(page, "#live", "live");
    // Every text the indicator shows, in order: "reconnecting" may last only a moment.
    await inPage(
      page,
      `const el = document.getElementById("live");
       window.__seen = [];
       new MutationObserver(() => window.__seen.push(el.textContent)).observe(el, { childList: true, subtree: true, characterData: true });`,
    );
    fx.dropStreams();
    await untilInPage(page, 'window.__seen.includes("reconnecting") && window.__seen.at(-1) === "live"');
    await fx.waitForStreams();
  });

  it("shows stored values as text: a subject, a title and an HTML preview never become markup", async () => {
    const { page, problems } = await visit("#/email");
    const link = page.getByRole("link", { name: HOSTILE });
    await link.waitFor();
    expect(await page.locator("main img").count()).toBe(0);
    await link.click();
    await page.locator("pre.source").nth(1).waitFor();
    expect(await page.locator("pre.source").nth(1).innerText()).toContain("<script>window.__xss = 2</script>");
    expect(await page.locator("pre.source *").count()).toBe(0);
    await page.goto(`${fx.url}/#/video`);
    await waitText(page, "td strong", "Renewal <b>soon</b>");
    expect(await page.locator("main img, main b").count()).toBe(0);
    expect(await inPage(page, "window.__xss")).toBeUndefined();
    expect(problems).toEqual([]);
  });

  it("lifecycle and video: the 30-day timeline, subjects ending soon, portraits with what comes next", async () => {
    const { page, problems } = await visit("#/lifecycle");
    await page.locator(".strip li").first().waitFor();
    expect(await page.locator(".strip li").count()).toBeGreaterThanOrEqual(30);
    await waitText(page, "details summary", "due");
    await waitText(page, "caption", "Projects ending soon");
    await waitText(page, "td", "owner1@example.com");
    await page.goto(`${fx.url}/#/video`);
    await waitText(page, "td", "https://media.example.com/v/1/a.mp4");
    await page.getByRole("link", { name: "History of por-201" }).click();
    await fx.waitFor((r) => r.path === "/video/history" && r.query.portraitId === "por-201");
    await waitText(page, "caption", "Changes to portrait por-201");
    const portraits = await page.locator("section:last-of-type tbody tr td:nth-child(2)").allInnerTexts();
    expect(new Set(portraits)).toEqual(new Set(["por-201"]));
    expect(problems).toEqual([]);
  });
});

describe("usable", () => {
  it("by keyboard: skip link first, focus on the new page's heading, a label on every control, headers on every table", async () => {
    const { page } = await visit("#/overview");
    await page.locator(".card").first().waitFor();
    await page.keyboard.press("Tab");
    expect(await inPage(page, "document.activeElement.textContent")).toBe("Skip to content");
    for (const name of ["Email", "Lifecycle", "Video", "Backups"]) {
      await page.getByRole("link", { name, exact: true }).focus();
      await page.keyboard.press("Enter");
      // The new page's title, not the link just pressed, which has the same text.
      await untilInPage(
        page,
        `document.activeElement.matches(".page-title") && document.activeElement.textContent === ${JSON.stringify(name)}`,
      );
      expect(await page.locator("nav.main [aria-current=page]").innerText()).toBe(name);
      await page.locator("table").first().waitFor();
      // A control is named by aria-label, a <label>, or (a button) its text.
      const unlabelled = await inPage<string[]>(
        page,
        `[...document.querySelectorAll("input, select, button")]
          .filter((el) => !(el.getAttribute("aria-label") || el.labels?.length || el.textContent.trim()))
          .map((el) => el.outerHTML)`,
      );
      expect(unlabelled).toEqual([]);
      expect(await page.locator("thead th:not([scope=col])").count()).toBe(0);
      expect(await page.locator("table:not(:has(caption))").count()).toBe(0);
    }
  });

  it("on a phone: no page scrolls sideways; wide tables scroll inside their box", async () => {
    const { page, problems } = await visit("#/overview", { viewport: { width: 375, height: 740 }, isMobile: true });
    for (const hash of ["#/overview", "#/email", "#/email/job-056", "#/lifecycle", "#/video", "#/backups"]) {
      await page.goto(`${fx.url}/${hash}`);
      await page.locator("main h2").first().waitFor();
      await untilIdle(page);
      const overflow = await inPage<number>(page, "document.documentElement.scrollWidth - window.innerWidth");
      expect(overflow, hash).toBeLessThanOrEqual(0);
    }
    expect(problems).toEqual([]);
  });

  it("follows the system's colour scheme", async () => {
    const background = async (colorScheme: "light" | "dark") => {
      const { page } = await visit("#/overview", { colorScheme });
      await page.locator(".card").first().waitFor();
      return inPage<string>(page, "getComputedStyle(document.body).backgroundColor");
    };
    expect(await background("light")).toBe("rgb(246, 247, 248)");
    expect(await background("dark")).toBe("rgb(17, 20, 24)");
  });
});
