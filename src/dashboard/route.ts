// Hash routes: `#/email/<id>?k=v`. The dashboard is one HTML page, so a reload or a bookmark
// lands on the same view with the same filters.

export const PAGES = ["overview", "email", "lifecycle", "video", "backups"] as const;
export type PageName = (typeof PAGES)[number];

export interface Route {
  page: PageName;
  /** A second path segment, e.g. the job id of `#/email/<id>`. */
  id: string | null;
  params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "");
  const q = raw.indexOf("?");
  const path = q === -1 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q === -1 ? "" : raw.slice(q + 1));
  const [first = "", second] = path.split("/").filter((part) => part !== "");
  const page = (PAGES as readonly string[]).includes(first) ? (first as PageName) : "overview";
  let id: string | null = null;
  if (second !== undefined && page === first) {
    try {
      id = decodeURIComponent(second);
    } catch {
      id = null;
    }
  }
  return { page, id, params };
}

export function routeHash(page: PageName, id: string | null = null, params?: Record<string, string>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) if (value !== "") query.set(key, value);
  const text = query.toString();
  return `#/${page}${id === null ? "" : `/${encodeURIComponent(id)}`}${text === "" ? "" : `?${text}`}`;
}
