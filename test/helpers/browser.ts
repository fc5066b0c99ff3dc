// A real Chromium for the dashboard tests: Debian's /usr/bin/chromium driven by playwright-core
// (no browser download). .ci/run installs the package when it is missing.
import { type Browser, type BrowserContextOptions, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors, page errors and CSP violations, in order; a clean page has none. */
  problems: string[];
  close(): Promise<void>;
}

/** A fresh context and page that records what went wrong in the page. */
export async function openPage(
  browser: Browser,
  url: string,
  options: BrowserContextOptions = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({ timezoneId: "UTC", locale: "en-US", ...options });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  // Native confirm() dialogs (cleanup, retry all, cancel) are accepted, as a person would.
  page.on("dialog", (dialog) => void dialog.accept());
  await page.goto(url);
  return { page, problems, close: () => context.close() };
}

// Page-side code is passed as JavaScript source: the tests compile without the DOM's types,
// and a string keeps `document` out of the Node program.

/** The value of `expression`, evaluated in the page. */
export const inPage = <T>(page: Page, expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;

/**
 * Resolves once `expression` is truthy in the page. Playwright compiles a string predicate
 * inside the page, which the dashboard's CSP (no 'unsafe-eval') refuses; a function's source is
 * installed through the DevTools protocol instead, so the string is wrapped in one here.
 */
export async function untilInPage(page: Page, expression: string): Promise<void> {
  await page.waitForFunction(new Function(`return (${expression});`) as () => unknown);
}

export const untilAttribute = (page: Page, selector: string, attribute: string, value: string) =>
  untilInPage(
    page,
    `document.querySelector(${JSON.stringify(selector)})?.getAttribute(${JSON.stringify(attribute)}) === ${JSON.stringify(value)}`,
  );

/** Every paged table has its answer (none is aria-busy). */
export const untilIdle = (page: Page) => untilInPage(page, `!document.querySelector("[aria-busy=true]")`);
