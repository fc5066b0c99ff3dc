// The job list: filters kept in the page address, cursor paging, and "retry all failed" for
// the recipient and batch filtered on.
import { type Context, errorText } from "./context.js";
import { badge, button, field, h, section, select, when } from "./dom.js";
import { formatCount } from "./format.js";
import { pagedTable } from "./paged.js";
import { EMAIL_FILTER_KEYS, type EmailFilters, emailListUrl, idPath, jobsHeading, retryFailedBody } from "./query.js";
import { routeHash } from "./route.js";
import type { EmailSummary, Page } from "./types.js";

const PAGE_SIZE = 25;
const STATUS_OPTIONS: [string, string][] = [
  ["", "any"],
  ...["pending", "sending", "sent", "failed", "cancelled"].map((s): [string, string] => [s, s]),
];

export function jobsView(ctx: Context, filters: EmailFilters): HTMLElement {
  const list = pagedTable<EmailSummary>(
    jobsHeading(filters.status),
    [
      { label: "Created", cell: (j) => when(j.createdAt) },
      { label: "Status", cell: (j) => badge(j.status) },
      { label: "To", cell: (j) => j.to.join(", ") },
      { label: "Subject", cell: (j) => h("a", { href: routeHash("email", j.id) }, j.subject || "(no subject)") },
      { label: "Attempts", cell: (j) => String(j.attempts), class: "num" },
      { label: "Last error", cell: (j) => j.lastError ?? "" },
    ],
    (cursor) => ctx.api.get<Page<EmailSummary>>(emailListUrl(filters, cursor, PAGE_SIZE)),
    "No job matches these filters.",
  );
  const scope = [filters.recipient && `to ${filters.recipient}`, filters.batchId && `in batch ${filters.batchId}`]
    .filter(Boolean)
    .join(" ");
  const retryAll = button(`Retry all failed${scope ? ` ${scope}` : ""}`, async () => {
    if (!window.confirm(`Retry every failed job${scope ? ` ${scope}` : ""}?`)) return;
    try {
      const r = await ctx.api.send<{ retried: number }>("POST", "/emails/retry-failed", retryFailedBody(filters));
      ctx.notify(`Retried ${formatCount(r.retried)} failed jobs.`);
      await list.reload();
    } catch (e) {
      ctx.notify(`Retry failed: ${errorText(e)}`, true);
    }
  });
  const refresh = button("Refresh list", () => void list.reload(), { class: "secondary" });
  void list.reload(true);
  const form = filterForm(filters, () => void list.reload(true));
  return section("Jobs", form, h("div", { class: "actions" }, retryAll, refresh), list.el);
}

/**
 * Filters live in the page address: submitting changes it, the router draws the page again, and
 * the back button undoes a filter. `unchanged` reloads the list when the address stays the same.
 */
function filterForm(filters: EmailFilters, unchanged: () => void): HTMLFormElement {
  const input = (name: string, type: string, value: string) => h("input", { name, type, value, autocomplete: "off" });
  const controls = {
    status: select("status", STATUS_OPTIONS, filters.status),
    recipient: input("recipient", "search", filters.recipient),
    batchId: input("batchId", "search", filters.batchId),
    createdFrom: input("createdFrom", "datetime-local", filters.createdFrom),
    createdTo: input("createdTo", "datetime-local", filters.createdTo),
    sentFrom: input("sentFrom", "datetime-local", filters.sentFrom),
    sentTo: input("sentTo", "datetime-local", filters.sentTo),
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const next: Record<string, string> = {};
    for (const key of EMAIL_FILTER_KEYS) next[key] = controls[key].value.trim();
    const hash = routeHash("email", null, next);
    if (window.location.hash === hash) unchanged();
    else window.location.hash = hash;
  };
  return h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter jobs", onsubmit: submit },
    field("Status", controls.status),
    field("Recipient", controls.recipient),
    field("Batch", controls.batchId),
    field("Created from", controls.createdFrom),
    field("Created to", controls.createdTo),
    field("Sent from", controls.sentFrom),
    field("Sent to", controls.sentTo),
    h(
      "div",
      { class: "field buttons" },
      h("button", { type: "submit" }, "Apply filters"),
      button("Clear", () => (window.location.hash = routeHash("email")), { class: "secondary" }),
    ),
  );
}

/** Used by the detail view's actions. */
export const jobAction = (ctx: Context, id: string, action: "retry" | "cancel") =>
  ctx.api.send<{ id: string; status: string }>("POST", idPath("/emails", id, `/${action}`));
