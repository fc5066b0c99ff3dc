import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, openPage, untilAttribute, untilIdle, type WatchedPage } from "../helpers/browser.js";
import { DashboardFixture, type FixtureOptions, type Received } from "../helpers/dashboard-fixture.js";

/**
 * What the dashboard sends: filters and cursors in the list queries, and every action as a
 * POST with a JSON body, Content-Type application/json and the session's X-Steward-CSRF, which
 * the fixture checks the way Steward does. Also the login when a token is set.
 */
let browser: Browser;
let fx: DashboardFixture | undefined;
let open: WatchedPage[] = [];
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(() => browser?.close());
afterEach(async () => {
  await Promise.all(open.map((w) => w.close()));
  open = [];
  await fx?.close();
  fx = undefined;
});

async function start(
  hash: string,
  options: FixtureOptions = {},
): Promise<{ page: Page; fx: DashboardFixture; problems: string[] }> {
  const fixture = await DashboardFixture.start(options);
  fx = fixture;
  const w = await openPage(browser, `${fixture.url}/${hash}`);
  open.push(w);
  return { page: w.page, fx: fixture, problems: w.problems };
}

const waitText = (page: Page, selector: string, has: string) =>
  page.locator(selector, { hasText: has }).first().waitFor();
const firstCells = (page: Page, column: number) =>
  page.locator(`section:has(h2:text("Jobs")) tbody tr td:nth-child(${column})`).allInnerTexts();

/** A write as the server wants it: JSON, with the CSRF token it handed out. */
function expectProtectedWrite(r: Received, csrf: string): void {
  expect(r.headers["content-type"]).toBe("application/json");
  expect(r.headers["x-steward-csrf"]).toBe(csrf);
}

describe("the email job list", () => {
  it("sends the filters, keeps them in the address, and pages forward and back by cursor", async () => {
    const { page, fx, problems } = await start("#/email");
    await waitText(page, "nav.pager span", "Page 1");
    expect(await firstCells(page, 4).then((s) => s[0])).toBe("Your portrait update #60");
    await page.getByRole("button", { name: "Next page" }).first().click();
    const second = await fx.waitFor((r) => r.path === "/emails" && r.query.cursor !== undefined);
    expect(second.query.limit).toBe("25");
    await waitText(page, "nav.pager span", "Page 2");
    expect((await firstCells(page, 4))[0]).toBe("Your portrait update #35");
    await page.getByRole("button", { name: "Previous page" }).first().click();
    await waitText(page, "nav.pager span", "Page 1");
    expect((await firstCells(page, 4))[0]).toBe("Your portrait update #60");
    expect(fx.received.filter((r) => r.path === "/emails").at(-1)?.query.cursor).toBeUndefined();

    await page.getByLabel("Status").selectOption("failed");
    await page.getByLabel("Recipient").fill("reader4@");
    await page.getByLabel("Created from").fill("2020-01-01T00:00");
    await page.getByRole("button", { name: "Apply filters" }).click();
    const filtered = await fx.waitFor((r) => r.path === "/emails" && r.query.status === "failed");
    expect(filtered.query).toMatchObject({
      recipient: "reader4@",
      createdFrom: new Date("2020-01-01T00:00Z").toISOString(),
    });
    expect(new URL(page.url()).hash).toBe("#/email?status=failed&recipient=reader4%40&createdFrom=2020-01-01T00%3A00");
    await untilIdle(page);
    const expected = fx.data.jobs.filter((j) => j.status === "failed" && j.to[0]?.startsWith("reader4@")).length;
    expect(await firstCells(page, 2)).toEqual(Array(expected).fill("failed"));
    expect(problems).toEqual([]);
  });
});

describe("actions", () => {
  it("retries and cancels one job from its page", async () => {
    const { page, fx, problems } = await start("#/email/job-056");
    await page.getByRole("button", { name: "Retry this job" }).click();
    const retry = await fx.waitFor((r) => r.method === "POST" && r.path === "/emails/job-056/retry");
    expectProtectedWrite(retry, fx.csrf);
    expect(retry.body).toEqual({});
    await waitText(page, ".messages", "Job job-056 is now pending.");
    await page.getByRole("button", { name: "Cancel this job" }).click();
    expectProtectedWrite(await fx.waitFor((r) => r.path === "/emails/job-056/cancel"), fx.csrf);
    await waitText(page, ".facts .badge", "cancelled");
    expect(problems).toEqual([]);
  });

  it("pauses and resumes, retries all failed for the filtered recipient, and cleans up", async () => {
    const { page, fx } = await start("#/email?recipient=reader4%40");
    await page.getByRole("button", { name: "Pause sending" }).click();
    expectProtectedWrite(await fx.waitFor((r) => r.path === "/emails/pause"), fx.csrf);
    await page.getByRole("button", { name: "Resume sending" }).click();
    expectProtectedWrite(await fx.waitFor((r) => r.path === "/emails/resume"), fx.csrf);
    await page.getByRole("button", { name: "Pause sending" }).waitFor();

    const failed = fx.data.jobs.filter((j) => j.status === "failed" && j.to[0]?.startsWith("reader4@")).length;
    await page.getByRole("button", { name: "Retry all failed to reader4@" }).click();
    const retryAll = await fx.waitFor((r) => r.path === "/emails/retry-failed");
    expectProtectedWrite(retryAll, fx.csrf);
    expect(retryAll.body).toEqual({ recipient: "reader4@" });
    await waitText(page, ".messages", `Retried ${failed} failed jobs.`);

    await page.getByRole("button", { name: "Clean up" }).click();
    const cleanup = await fx.waitFor((r) => r.path === "/emails/cleanup");
    expectProtectedWrite(cleanup, fx.csrf);
    expect(cleanup.body).toEqual({ days: 30 });
    await waitText(page, ".messages", "Deleted 7 jobs.");
  });

  it("runs a backup now and draws its progress from /events to the end; verifies one", async () => {
    const { page, fx, problems } = await start("#/backups");
    await page.getByRole("button", { name: "Verify backup bk-98" }).waitFor();
    await fx.waitForStreams();
    await page.getByRole("button", { name: "Back up the database now" }).click();
    const run = await fx.waitFor((r) => r.method === "POST" && r.path === "/backups");
    expectProtectedWrite(run, fx.csrf);
    expect(run.body).toEqual({ kind: "database" });
    const id = fx.data.backups[0]?.id as string;
    const bar = page.locator(`[data-backup="${id}"] [role=progressbar]`);
    await bar.waitFor();
    expect(await bar.getAttribute("aria-valuenow")).toBe("0");
    const progress = (phase: string, percent: number) =>
      fx.emit("backup", {
        id,
        kind: "database",
        phase,
        percent,
        bytes: percent * 1000,
        status: phase === "done" ? "succeeded" : "running",
      });
    const mark = fx.received.length;
    progress("database", 40);
    await untilAttribute(page, `[data-backup="${id}"] [role=progressbar]`, "aria-valuenow", "40");
    progress("verify", 90);
    await waitText(page, `[data-backup="${id}"] .badge`, "verify");
    progress("done", 100);
    await waitText(page, `[data-backup="${id}"] .badge`, "done");
    expect(await bar.getAttribute("aria-valuenow")).toBe("100");
    // The finished run reloads the list (its size and verified state changed).
    await fx.waitFor((r) => r.path === "/backups" && r.method === "GET" && fx.received.indexOf(r) >= mark);

    await page.getByRole("button", { name: "Verify backup bk-98" }).click();
    expectProtectedWrite(await fx.waitFor((r) => r.path === "/backups/bk-98/verify"), fx.csrf);
    await waitText(page, ".messages", "Backup bk-98 verified.");
    expect(problems).toEqual([]);
  });
});

describe("with an admin token", () => {
  it("asks for it once, refuses a wrong one, then works by cookie with the CSRF header on writes", async () => {
    const { page, fx, problems } = await start("#/email", { token: "let-me-in" });
    const token = page.getByLabel("Admin token");
    await token.waitFor();
    expect(await page.locator("nav.main").isVisible()).toBe(false);
    await token.fill("guess");
    await page.getByRole("button", { name: "Sign in" }).click();
    await waitText(page, ".login .error", "Sign-in failed: wrong token");
    expect(fx.received.filter((r) => r.path === "/emails").length).toBe(0);
    await token.fill("let-me-in");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("[data-count=failed]").waitFor();
    await fx.waitForStreams();
    await page.getByRole("button", { name: "Pause sending" }).click();
    const pause = await fx.waitFor((r) => r.path === "/emails/pause");
    expectProtectedWrite(pause, fx.csrf);
    expect(pause.headers.cookie).toMatch(/steward_session=\w+/);
    await page.getByRole("button", { name: "Resume sending" }).waitFor();
    // 401s and the refused sign-in are expected here; any other console error is not.
    expect(problems.filter((p) => !p.includes("401"))).toEqual([]);
  });
});
