// A table that loads one page at a time from a cursor-paged list route.

import { errorText } from "./context.js";
import { button, type Column, fill, h, table } from "./dom.js";
import { CursorPager } from "./paging.js";
import type { Page } from "./types.js";

export interface PagedTable {
  el: HTMLElement;
  /** Load the current page again; `fromStart` goes back to the first (new filters). */
  reload(fromStart?: boolean): Promise<void>;
}

export function pagedTable<T>(
  caption: string,
  columns: Column<T>[],
  load: (cursor: string | null) => Promise<Page<T>>,
  empty?: string,
): PagedTable {
  const pager = new CursorPager();
  const body = h("div", { "aria-busy": "false" });
  const where = h("span", { class: "muted", "aria-live": "polite" });
  const prev = button(
    "Previous page",
    () => {
      if (pager.back()) void reload();
    },
    { class: "secondary" },
  );
  const next = button(
    "Next page",
    () => {
      if (pager.forward() !== null) void reload();
    },
    { class: "secondary" },
  );
  const nav = h("nav", { class: "pager", "aria-label": `${caption}: pages` }, prev, where, next);
  // Answers can arrive out of order after quick clicks; only the latest request may draw.
  let seq = 0;

  async function reload(fromStart = false): Promise<void> {
    if (fromStart) pager.reset();
    const mine = ++seq;
    body.setAttribute("aria-busy", "true");
    prev.disabled = next.disabled = true;
    try {
      const page = await load(pager.cursor);
      if (mine !== seq) return;
      pager.loaded(page.nextCursor);
      fill(body, table(caption, columns, page.items, empty));
      where.textContent = `Page ${pager.page}`;
    } catch (error) {
      if (mine !== seq) return;
      fill(
        body,
        h("p", { class: "error", role: "alert" }, `Could not load ${caption.toLowerCase()}: ${errorText(error)}`),
      );
    } finally {
      if (mine === seq) {
        body.setAttribute("aria-busy", "false");
        prev.disabled = !pager.hasPrevious;
        next.disabled = !pager.hasNext;
      }
    }
  }

  return { el: h("div", { class: "paged" }, body, nav), reload };
}
