// The shell: asks /session whether to log in, then routes `#/page` to a page, keeps the live
// stream open, and shows whether it is connected.
import { Api } from "./api.js";
import { type Context, errorText, type Mount } from "./context.js";
import { fill, h } from "./dom.js";
import { Live } from "./live.js";
import { showLogin } from "./login.js";
import { backupsPage } from "./page-backups.js";
import { emailPage } from "./page-email.js";
import { lifecyclePage } from "./page-lifecycle.js";
import { overviewPage } from "./page-overview.js";
import { videoPage } from "./page-video.js";
import { type PageName, parseRoute } from "./route.js";

const PAGES: Record<PageName, Mount> = {
  overview: overviewPage,
  email: emailPage,
  lifecycle: lifecyclePage,
  video: videoPage,
  backups: backupsPage,
};

const byId = (id: string): HTMLElement => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el;
};

const main = byId("main");
const indicator = byId("live");
const messages = byId("messages");
const logout = byId("logout") as HTMLButtonElement;
const api = new Api();
const live = new Live();
let unmount: (() => void) | undefined;
let started = false;

function notify(message: string, error = false): void {
  // Errors go to the assertive region (role=alert), the rest to the polite one.
  const item = h("p", { class: error ? "error" : "note", role: error ? "alert" : null }, message);
  messages.prepend(item);
  while (messages.children.length > 3) messages.lastElementChild?.remove();
}

function render(): void {
  unmount?.();
  unmount = undefined;
  const route = parseRoute(window.location.hash);
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav.main a")) {
    if (link.dataset.page === route.page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const root = h("div", { class: "page", "data-page": route.page });
  fill(main, root);
  const ctx: Context = { api, live, route, notify };
  unmount = PAGES[route.page](root, ctx);
  document.title = `${route.page[0]?.toUpperCase()}${route.page.slice(1)} · Steward`;
  // Move focus to the new page's heading, so keyboard and screen-reader users land on it.
  if (started) root.querySelector<HTMLElement>(".page-title")?.focus();
  started = true;
}

function startApp(tokenRequired: boolean): void {
  document.body.classList.remove("logged-out");
  logout.hidden = !tokenRequired;
  live.onConnection((c) => {
    indicator.textContent = c === "live" ? "live" : c;
    indicator.className = `live l-${c}`;
  });
  live.start();
  window.addEventListener("hashchange", render);
  render();
}

function login(): void {
  live.stop();
  unmount?.();
  document.body.classList.add("logged-out");
  showLogin(main, api, () => void boot());
}

async function boot(): Promise<void> {
  try {
    const session = await api.session();
    if (session.tokenRequired && !session.authenticated) return login();
    api.onUnauthorized = login;
    if (!started) startApp(session.tokenRequired);
    else {
      document.body.classList.remove("logged-out");
      live.start();
      render();
    }
  } catch (e) {
    fill(main, h("p", { class: "error", role: "alert" }, `Steward did not answer: ${errorText(e)}`));
  }
}

logout.addEventListener("click", async () => {
  await api.send("DELETE", "/session").catch(() => {});
  api.csrf = null;
  login();
});

void boot();
