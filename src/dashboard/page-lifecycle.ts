// Lifecycle: the notices due in the next 30 days as a day-by-day timeline, the notices sent,
// and the projects and portraits whose subscription ends soon.
import { type Context, errorText, type Mount } from "./context.js";
import { badge, field, fill, h, pageHeading, section, when } from "./dom.js";
import { formatCount } from "./format.js";
import { pagedTable } from "./paged.js";
import { withQuery } from "./query.js";
import { runPassButton } from "./run-pass.js";
import { type PlanDay, planDays } from "./timeline.js";
import type { Page, Plan, SentNotice, Subject } from "./types.js";

const PLAN_DAYS = 30;
/** Per day at most this many lines; the count says how many more. */
const PER_DAY = 8;

export const lifecyclePage: Mount = (root, ctx) => {
  const timeline = h("div", { class: "timeline-box" }, "Loading…");
  // The plan's window, as `steward lifecycle plan --days N`: 30 unless the operator asks.
  const planDaysInput = h("input", {
    type: "number",
    name: "planDays",
    min: 1,
    max: 3650,
    value: PLAN_DAYS,
    required: true,
    inputmode: "numeric",
  });
  const planHeading = h("span", null, `${PLAN_DAYS} days`);
  const notices = pagedTable<SentNotice>(
    "Notices sent, newest first",
    [
      { label: "Sent", cell: (n) => when(n.at) },
      { label: "Kind", cell: (n) => badge(n.kind, "kind") },
      { label: "Subject", cell: (n) => `${n.subject} ${n.subjectId}` },
      {
        label: "Email job",
        cell: (n) => (n.emailId ? h("a", { href: `#/email/${encodeURIComponent(n.emailId)}` }, n.emailId) : "—"),
      },
    ],
    (cursor) => ctx.api.get<Page<SentNotice>>(withQuery("/lifecycle/notices", { limit: 15, cursor })),
    "No notice sent yet.",
  );

  const loadPlan = () => {
    const days = planDaysInput.value;
    return ctx.api
      .get<Plan>(withQuery("/lifecycle/plan", { days }))
      .then((plan) => fill(timeline, planTimeline(plan)))
      .catch((e) =>
        fill(timeline, h("p", { class: "error", role: "alert" }, `Could not load the plan: ${errorText(e)}`)),
      );
  };
  const planForm = h(
    "form",
    {
      class: "filters",
      "aria-label": "Plan window",
      onsubmit: (e: Event) => {
        e.preventDefault();
        fill(planHeading, `${planDaysInput.value} days`);
        void loadPlan();
      },
    },
    field("Days ahead", planDaysInput),
    h("div", { class: "field buttons" }, h("button", { type: "submit" }, "Show plan")),
  );
  const planSection = section("Notices due", planForm, timeline);
  planSection.querySelector("h2")?.append(" in the next ", planHeading);
  root.append(
    pageHeading("Lifecycle"),
    h(
      "div",
      { class: "actions" },
      runPassButton(ctx, "lifecycle", () => {
        void loadPlan();
        void notices.reload(true);
      }),
    ),
    planSection,
    endingSoon(ctx),
    section("Recent notices", notices.el),
  );
  void loadPlan();
  void notices.reload(true);
  return undefined;
};

/** Projects and portraits whose subscription ends within N days, filtered by owner. */
function endingSoon(ctx: Context): HTMLElement {
  const days = h("input", { type: "number", name: "days", min: 1, max: 365, value: PLAN_DAYS, inputmode: "numeric" });
  const owner = h("input", { type: "search", name: "owner", autocomplete: "off" });
  const subjects = (kind: "projects" | "portraits") =>
    pagedTable<Subject>(
      kind === "projects" ? "Projects ending soon" : "Portraits ending soon",
      [
        { label: "Ends", cell: (s) => when(s.subscriptionEnd, true) },
        { label: kind === "projects" ? "Project" : "Portrait", cell: (s) => (s.name ? `${s.name} (${s.id})` : s.id) },
        {
          label: "Owner",
          cell: (s) => [s.ownerName ?? "", s.ownerName ? " " : "", h("span", { class: "muted" }, s.ownerEmail)],
        },
        { label: "Status", cell: (s) => badge(s.status) },
      ],
      (cursor) =>
        ctx.api.get<Page<Subject>>(
          withQuery(`/${kind}`, { endingWithinDays: days.value, owner: owner.value.trim(), limit: 10, cursor }),
        ),
      "None ends in that window.",
    );
  const tables = [subjects("projects"), subjects("portraits")];
  const reload = () => {
    for (const t of tables) void t.reload(true);
  };
  const form = h(
    "form",
    {
      class: "filters",
      "aria-label": "Filter subjects ending soon",
      onsubmit: (e: Event) => {
        e.preventDefault();
        reload();
      },
    },
    field("Ending within (days)", days),
    field("Owner contains", owner),
    h("div", { class: "field buttons" }, h("button", { type: "submit" }, "Apply filters")),
  );
  reload();
  return section("Ending soon", form, ...tables.map((t) => t.el));
}

/** A strip of bars, one per day, then the days with notices, each folded open on demand. */
export function planTimeline(plan: Plan): HTMLElement {
  const days = planDays(plan);
  // A loop rather than a spread into Math.max, as everywhere a list's length is not ours to bound.
  const busiest = days.reduce((most, d) => Math.max(most, d.notices.length), 1);
  const strip = h(
    "ol",
    { class: "strip", "aria-label": "Notices per day" },
    ...days.map((d) => {
      const column = h("span", { class: "col" });
      column.style.height = `${(d.notices.length / busiest) * 100}%`;
      return h(
        "li",
        { title: `${d.text}: ${d.notices.length}` },
        h("span", { class: "well" }, column),
        h("span", { class: "visually-hidden" }, `${d.text}: ${d.notices.length} due`),
      );
    }),
  );
  const busy = days.filter((d) => d.notices.length > 0);
  return h(
    "div",
    null,
    h("p", null, `${formatCount(plan.notices.length)} notices from `, when(plan.from), " to ", when(plan.to), "."),
    plan.truncated ? h("p", { class: "warn" }, "Only the first 10,000 are listed.") : null,
    strip,
    days.length > 0
      ? h(
          "div",
          { class: "x-axis", "aria-hidden": "true" },
          h("span", null, days[0]?.text),
          h("span", null, days[days.length - 1]?.text),
        )
      : null,
    busy.length > 0
      ? h("div", { class: "timeline" }, ...busy.map(dayDetails))
      : h("p", { class: "muted" }, "No notice is due."),
  );
}

function dayDetails(d: PlanDay, index: number): HTMLElement {
  const more = d.notices.length - PER_DAY;
  return h(
    "details",
    { "data-day": d.key, open: index < 3 },
    h("summary", null, d.text, " ", h("span", { class: "muted" }, `${formatCount(d.notices.length)} due`)),
    h(
      "ul",
      null,
      ...d.notices
        .slice(0, PER_DAY)
        .map((n) =>
          h(
            "li",
            null,
            when(n.at),
            " ",
            badge(n.kind, "kind"),
            ` ${n.subject} ${n.id} · `,
            h("span", { class: "muted" }, n.ownerEmail),
          ),
        ),
      more > 0 ? h("li", { class: "muted" }, `and ${formatCount(more)} more`) : null,
    ),
  );
}
