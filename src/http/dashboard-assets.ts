import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Handler, Reply, Request, Route } from "./router.js";

/**
 * Sent with every answer of the dashboard. The page loads nothing from elsewhere and runs no
 * inline script or style, so the policy can be this strict; frame-ancestors 'none' stops a page
 * elsewhere from framing the buttons (clickjacking).
 */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

interface Asset {
  body: string;
  type: string;
  etag: string;
}

/** Where `npm run build` puts the dashboard: dist/dashboard, from here in src/ or in dist/src/. */
export function defaultDashboardDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.resolve(here, "../..");
  const root = path.basename(up) === "dist" ? path.dirname(up) : up;
  return path.join(root, "dist", "dashboard");
}

export interface DashboardOptions {
  /**
   * Answers `GET /` for clients that do not ask for HTML (curl, fetch, scripts), so the JSON
   * list of endpoints stays where tools expect it while browsers get the page.
   */
  otherwise?: Handler;
}

/**
 * Serves the built dashboard: `/` is index.html, `/assets/<file>` the files beside it. Files are
 * read once, here; only names found in the directory are served, so no request path reaches the
 * file system. A missing build answers 404 saying so, rather than failing start-up.
 */
export function dashboardAssets(distDir: string, options: DashboardOptions = {}): Handler {
  const assets = loadAssets(distDir);
  return (req) => {
    if (req.path === "/" || req.path === "/index.html") {
      if (options.otherwise && !wantsHtml(req)) return options.otherwise(req);
      return serve(assets.get("index.html"), req, "the dashboard is not built: run `npm run build`");
    }
    const name = req.path.startsWith("/assets/") ? req.path.slice("/assets/".length) : "";
    return serve(assets.get(`assets/${name}`), req, `no such asset: ${name}`);
  };
}

/** The two routes to add to the status server's Router: one `for (r of dashboardRoutes()) router.add(r)`. */
export function dashboardRoutes(distDir = defaultDashboardDir(), options: DashboardOptions = {}): Route[] {
  const handler = dashboardAssets(distDir, options);
  // open: the page and its scripts hold no data, and the login form must load before any token.
  return [
    { method: "GET", path: "/", open: true, handler },
    { method: "GET", path: "/assets/:file", open: true, handler },
  ];
}

function loadAssets(distDir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const add = (name: string, file: string) => {
    const type = TYPES[path.extname(file)];
    if (type === undefined) return;
    const body = fs.readFileSync(file, "utf8");
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    assets.set(name, { body, type, etag });
  };
  const index = path.join(distDir, "index.html");
  if (fs.existsSync(index)) add("index.html", index);
  const dir = path.join(distDir, "assets");
  const files = fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : [];
  for (const entry of files) if (entry.isFile()) add(`assets/${entry.name}`, path.join(dir, entry.name));
  return assets;
}

function serve(asset: Asset | undefined, req: Request, missing: string): Reply {
  if (!asset) return { status: 404, body: `${missing}\n`, headers: { ...DASHBOARD_HEADERS } };
  // File names carry no content hash (the modules import each other by name), so the browser
  // revalidates every time: a 304 costs a round trip on the status port, not the bytes.
  const headers = { ...DASHBOARD_HEADERS, etag: asset.etag, "cache-control": "no-cache" };
  if (matches(req.headers["if-none-match"], asset.etag)) return { status: 304, body: "", headers };
  return { status: 200, body: asset.body, contentType: asset.type, headers };
}

function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t === etag || t === `W/${etag}`;
  });
}

function wantsHtml(req: Request): boolean {
  return (req.headers.accept ?? "").includes("text/html");
}
