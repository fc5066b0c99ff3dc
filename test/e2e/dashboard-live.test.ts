import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { formatInstant } from "../../src/dashboard/format.js";
import { launchBrowser, openPage, untilAttribute, untilIdle, type WatchedPage } from "../helpers/browser.js";
import { startDemoSteward } from "../helpers/demo-steward.js";
import type { StewardProcess } from "../helpers/steward-process.js";

/**
 * The dashboard in a real Chromium against a real `steward start` with the demo's data: each
 * page shows what the API holds, a database backup started by a click runs to verified with
 * its bar drawn from /events, a token asks for a login, and a form on another site cannot
 * make Steward do anything.
 */
const TOKEN = "dashboard-e2e-token-0123456789";

let browser: Browser;
let open: WatchedPage[] = [];
let procs: StewardProcess[] = [];
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(() => browser?.close());
afterEach(async () => {
  await Promise.all(open.map((w) => w.close()));
  open = [];
  await Promise.all(procs.map((p) => p.stop()));
  procs = [];
});

async function startSteward(extra: Record<string, string> = {}): Promise<{ url: string }> {
  const steward = await startDemoSteward(extra);
  procs.push(steward.proc);
  return steward;
}

async function visit(url: string, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const w = await openPage(browser, url, options);
  open.push(w);
  return w;
}

const waitText = (page: Page, selector: string, has: string) =>
  page.locator(selector, { hasText: has }).first().waitFor();

describe("the dashboard on a running Steward", () => {
  it("shows real data on the overview, lifecycle, video and backup pages", async () => {
    const { url } = await startSteward();
    // A reader far from UTC: the page shows their time, the UTC value on hover.
    const { page, problems } = await visit(`${url}/#/overview`, { timezoneId: "Asia/Tokyo" });
    await page.locator(".card[data-service=backup]").waitFor();
    const lastRun = page.locator(".card[data-service=lifecycle] time").first();
    await lastRun.waitFor();
    const at = (await lastRun.getAttribute("datetime")) ?? "";
    expect(await lastRun.getAttribute("title")).toBe(`${at} (UTC)`);
    expect(await lastRun.innerText()).toBe(formatInstant(at, { locale: "en-US", timeZone: "Asia/Tokyo" }).text);
    await waitText(page, ".card[data-service=lifecycle] .badge", "running");
    await waitText(page, "#live", "live");
    // The instance table: this process, and the schedulers it leads.
    await waitText(page, "table td", "lifecycle, video");
    // The email queue works continuously: its card shows the queue, not runs it never has.
    const email = page.locator(".card[data-service=email]");
    await email.locator("dt", { hasText: "Queue" }).waitFor();
    expect(await email.locator("dt").allInnerTexts()).not.toContain("Last run");
    expect(await email.locator("dt:text-is('Queue') + dd").innerText()).toMatch(
      /^\d+ pending, \d+ sending, \d+ sent, \d+ failed$/,
    );
    // No SMTP here: the outbox transport, named as such, with no "since —".
    expect(await email.locator("dt:text-is('Transport') + dd").innerText()).toBe("outbox up");

    await page.getByRole("link", { name: "Lifecycle" }).click();
    await waitText(page, "table td", "City Museum (demo-museum)");
    await waitText(page, ".timeline summary", "due");
    await waitText(page, "table td", "curator@example.com");

    await page.getByRole("link", { name: "Video" }).click();
    await waitText(page, "table td", "demo-entrance");
    await waitText(page, "table td strong", "Opening week");
    await untilIdle(page);

    await page.getByRole("link", { name: "Backups" }).click();
    await waitText(page, "table td code", "0 2 * * *");
    expect(problems).toEqual([]);
  });

  it("runs a database backup by a click and draws its progress until it is verified", async () => {
    const { url } = await startSteward();
    const { page, problems } = await visit(`${url}/#/backups`);
    await waitText(page, "#live", "live");
    await page.getByRole("button", { name: "Back up the database now" }).click();
    const run = page.locator(".backup-run").first();
    await run.waitFor();
    const id = await run.getAttribute("data-backup");
    await untilAttribute(page, `[data-backup="${id}"] [role=progressbar]`, "aria-valuenow", "100");
    await waitText(page, `[data-backup="${id}"] .badge`, "done");
    // The finished run reloads the list: the backup is there, succeeded and verified.
    await waitText(page, "table td .badge", "verified");
    const listed = (await (await fetch(`${url}/backups`)).json()) as { items: Array<Record<string, unknown>> };
    expect(listed.items[0]).toMatchObject({ id, kind: "database", status: "succeeded", verified: true });
    await page.getByRole("button", { name: `Verify backup ${id}` }).click();
    await waitText(page, ".messages", `Backup ${id} verified.`);
    expect(problems).toEqual([]);
  });
});

describe("with ADMIN_TOKEN", () => {
  it("asks for the token, refuses a wrong one, then works by its session cookie", async () => {
    const { url } = await startSteward({ ADMIN_TOKEN: TOKEN });
    const { page, problems } = await visit(`${url}/#/backups`);
    const token = page.getByLabel("Admin token");
    await token.fill("not-the-token-at-all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await waitText(page, ".login .error", "Sign-in failed: wrong token");
    await token.fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await waitText(page, "table td code", "0 2 * * *");
    const cookies = await page.context().cookies();
    expect(cookies).toEqual([
      expect.objectContaining({ name: "steward_session", httpOnly: true, sameSite: "Strict", path: "/" }),
    ]);
    // A write from the page carries the CSRF token: a backup runs.
    await page.getByRole("button", { name: "Back up the database now" }).click();
    await waitText(page, ".backup-run .badge", "done");
    // The refused sign-in answered 401, which the console reports; nothing else went wrong.
    expect(problems.filter((p) => !p.includes("401"))).toEqual([]);
  });

  it("refuses a form posted to it from another site, even after a login", async () => {
    const { url } = await startSteward({ ADMIN_TOKEN: TOKEN });
    const { page } = await visit(`${url}/#/overview`);
    await page.getByLabel("Admin token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator(".card[data-service=backup]").waitFor();
    // The classic JSON-by-form trick: a text/plain body that reads as JSON.
    const evil = http.createServer((_, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(
        `<form method="post" action="${url}/backups" enctype="text/plain">` +
          `<input name='{"kind":"database","x":"' value='"}'></form><script>document.forms[0].submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    try {
      const answer = page.waitForResponse((r) => r.url() === `${url}/backups` && r.request().method() === "POST");
      await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      const refused = await answer;
      expect(refused.status()).toBe(403);
      expect(await refused.json()).toMatchObject({ error: expect.stringContaining("cross-origin request refused") });
    } finally {
      evil.close();
    }
    const backups = await fetch(`${url}/backups`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await backups.json()) as { items: unknown[] }).items).toEqual([]);
  });
});
