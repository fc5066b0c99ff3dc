// Overview: every service's state with its last and next run, the instances, recent alerts,
// and one line that says whether anything needs a person.
import { type Context, errorText, type Mount } from "./context.js";
import { badge, button, fill, h, pageHeading, section, table, when } from "./dom.js";
import { formatCount } from "./format.js";
import { summarizeHealth } from "./health.js";
import { mergeAlerts } from "./store.js";
import type { Alert, Instance, Recount, ServiceStatus, Status } from "./types.js";

const CLUSTER_REFRESH_MS = 30_000;

export const overviewPage: Mount = (root, ctx) => {
  const health = h("div", { class: "health", role: "status", "aria-live": "polite" }, "Loading…");
  const services = h("div", { class: "cards" });
  const instances = h("div", null, "Loading…");
  const alerts = h("div", null, "Loading…");
  root.append(
    pageHeading("Overview"),
    section("Health", health),
    section("Services", services),
    section("Instances", instances),
    section("Recent alerts", alerts),
    section("Repair", recountControl(ctx)),
  );

  let fetched: Record<string, ServiceStatus> = {};
  let fetchedAlerts: Alert[] = [];
  const draw = () => {
    // Live messages are newer than the first GET /status, so they win.
    const all = Object.values({ ...fetched, ...ctx.live.state.services });
    const verdict = summarizeHealth(all);
    fill(
      health,
      h("p", { class: `verdict v-${verdict.level}` }, verdict.headline),
      verdict.problems.length > 0 ? h("ul", null, ...verdict.problems.map((p) => h("li", null, p))) : null,
    );
    fill(services, ...all.map(serviceCard));
    const recent = mergeAlerts(ctx.live.state.alerts, fetchedAlerts).slice(0, 10);
    fill(alerts, alertTable(recent));
  };

  ctx.api
    .get<Status>("/status")
    .then((status) => {
      fetched = status.services;
      draw();
    })
    .catch((e) =>
      fill(health, h("p", { class: "error", role: "alert" }, `Could not load the status: ${errorText(e)}`)),
    );
  ctx.api
    .get<{ items: Alert[] }>("/alerts?limit=10")
    .then((page) => {
      fetchedAlerts = page.items;
      draw();
    })
    .catch((e) => fill(alerts, h("p", { class: "error" }, errorText(e))));
  const loadCluster = () =>
    ctx.api
      .get<{ instances: Instance[] }>("/cluster")
      .then((c) => fill(instances, instanceTable(c.instances)))
      .catch((e) => fill(instances, h("p", { class: "error" }, errorText(e))));
  void loadCluster();
  // Heartbeats have no live event: a slow poll keeps the list honest.
  const timer = window.setInterval(loadCluster, CLUSTER_REFRESH_MS);
  const unsubscribe = ctx.live.subscribe((_, type) => {
    if (type === "service" || type === "alert") draw();
  });
  return () => {
    window.clearInterval(timer);
    unsubscribe();
  };
};

const QUEUE_STATES = ["pending", "sending", "sent", "failed"] as const;

function serviceCard(s: ServiceStatus): HTMLElement {
  const d = s.details ?? {};
  const queue = isCounts(d.counts) ? d.counts : null;
  const row = (term: string, ...value: (Node | string)[]) => [h("dt", null, term), h("dd", null, ...value)];
  const role = s.leader === null ? null : badge(s.leader ? "leader" : "standby", s.leader ? "leader" : "muted");
  return h(
    "article",
    { class: "card", "data-service": s.name },
    h("h3", null, s.name, " ", badge(s.state), " ", role),
    h(
      "dl",
      null,
      // A service that works continuously (the email queue) has no runs: its queue says more.
      queue
        ? [
            row("Queue", QUEUE_STATES.map((st) => `${formatCount(queue[st] ?? 0)} ${st}`).join(", ")),
            row("In flight", String(d.inFlight ?? 0), ` of ${d.workers ?? "?"} workers`),
          ].flat()
        : [
            row("Last run", when(s.lastRunAt)),
            row("Next run", when(s.nextRunAt, true)),
            row("Runs", `${s.runs} (${s.failures} failed)`),
          ].flat(),
      d.transport
        ? row(
            d.transport.kind === "smtp" ? "SMTP" : "Transport",
            d.transport.kind === "smtp" ? "" : `${d.transport.kind} `,
            badge(d.transport.state),
            ...(d.transport.since ? [" since ", when(d.transport.since)] : []),
          )
        : [],
      d.paused !== undefined ? row("Sending", d.paused ? badge("paused") : "active") : [],
      s.lastError ? row("Last error", s.lastError.message, " ", when(s.lastError.at)) : [],
    ),
  );
}

const isCounts = (value: unknown): value is Record<string, number> =>
  typeof value === "object" && value !== null && typeof (value as { pending?: unknown }).pending === "number";

function instanceTable(items: Instance[]): HTMLElement {
  return table(
    "Instances alive",
    [
      { label: "Instance", cell: (i) => i.id },
      { label: "Host", cell: (i) => `${i.hostname} (pid ${i.pid})` },
      { label: "Version", cell: (i) => i.version },
      { label: "Started", cell: (i) => when(i.startedAt) },
      { label: "Heartbeat", cell: (i) => when(i.heartbeatAt, true) },
      { label: "Runs", cell: (i) => i.services.join(", ") },
      { label: "Leads", cell: (i) => i.leads.join(", ") || "—" },
    ],
    items,
    "No instance has a heartbeat.",
  );
}

export function alertTable(items: Alert[]): HTMLElement {
  return table(
    "Alerts, newest first",
    [
      { label: "When", cell: (a) => when(a.at) },
      { label: "Severity", cell: (a) => badge(a.severity) },
      { label: "Key", cell: (a) => h("code", null, a.key) },
      { label: "Message", cell: (a) => a.message },
      { label: "Instance", cell: (a) => a.instance ?? "—" },
    ],
    items,
    "No alerts.",
  );
}

/**
 * `steward doctor recount` as a button: the status counts kept by triggers, counted afresh.
 * Rarely needed (a host app that truncated a table), and it holds writers off while it counts.
 */
function recountControl(ctx: Context): HTMLElement {
  const result = h("div", { "aria-live": "polite" });
  const run = button(
    "Recount status counters",
    async () => {
      run.disabled = true;
      try {
        const r = await ctx.api.send<Recount>("POST", "/doctor/recount");
        ctx.notify(`${r.counters.length} counters recounted, ${r.drifted} had drifted.`);
        const drifted = r.counters.filter((c) => c.was !== c.now);
        fill(
          result,
          table(
            "Counters that had drifted",
            [
              { label: "Counter", cell: (c) => h("code", null, c.name) },
              { label: "Was", cell: (c) => String(c.was), class: "num" },
              { label: "Now", cell: (c) => String(c.now), class: "num" },
            ],
            drifted,
            "None had drifted.",
          ),
        );
      } catch (e) {
        ctx.notify(`Could not recount: ${errorText(e)}`, true);
      } finally {
        run.disabled = false;
      }
    },
    { class: "secondary" },
  );
  return h(
    "div",
    null,
    h(
      "p",
      { class: "muted" },
      "Counts every status counter afresh from its table, holding writers off meanwhile (steward doctor recount).",
    ),
    h("div", { class: "actions" }, run),
    result,
  );
}
