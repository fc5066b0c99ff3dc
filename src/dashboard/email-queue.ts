// The email page's top half: counts, the last hour's chart, pause/resume and the progress of
// recent batches, following the live `counts` and `batch` messages; and the cleanup form.
import { minuteChartView } from "./chart-view.js";
import { type Context, errorText } from "./context.js";
import { badge, button, field, fill, h, section, stackedBar, when } from "./dom.js";
import { formatCount, formatDuration } from "./format.js";
import type { Batch, EmailStats, EmailStatus } from "./types.js";

const STATUSES: EmailStatus[] = ["pending", "sending", "sent", "failed", "cancelled"];

export interface QueueView {
  el: HTMLElement[];
  stop(): void;
}

export function queueView(ctx: Context, batchFilter: string): QueueView {
  const counts = h(
    "div",
    { class: "counts", role: "status", "aria-live": "polite", "aria-atomic": "true" },
    "Loading…",
  );
  const chart = h("div", { class: "chart-box" });
  const pause = button("Pause sending", () => void togglePause());
  const batches = h("div", { class: "batches", "aria-live": "polite" });
  let stats: EmailStats | null = ctx.live.state.counts;
  let extraBatch: Batch | null = null;

  const draw = () => {
    if (stats) {
      fill(counts, countList(stats));
      fill(chart, minuteChartView(stats.perMinute));
      pause.textContent = stats.paused ? "Resume sending" : "Pause sending";
    }
    fill(batches, batchList(ctx.live.state.batches, extraBatch));
  };

  async function togglePause(): Promise<void> {
    const resume = stats?.paused === true;
    try {
      const r = await ctx.api.send<{ paused: boolean }>("POST", resume ? "/emails/resume" : "/emails/pause");
      if (stats) stats = { ...stats, paused: r.paused };
      ctx.notify(r.paused ? "Sending paused." : "Sending resumed.");
      draw();
    } catch (e) {
      ctx.notify(`Could not ${resume ? "resume" : "pause"}: ${errorText(e)}`, true);
    }
  }

  ctx.api
    .get<EmailStats>("/emails/stats")
    .then((s) => {
      // A live message that arrived meanwhile is newer than this answer.
      stats = ctx.live.state.counts ?? s;
      draw();
    })
    .catch((e) => fill(counts, h("p", { class: "error", role: "alert" }, `Could not load counts: ${errorText(e)}`)));
  if (batchFilter !== "") {
    ctx.api
      .get<Batch>(`/batches/${encodeURIComponent(batchFilter)}`)
      .then((b) => {
        extraBatch = b;
        draw();
      })
      .catch(() => {}); // an unknown batch id: the job list says "nothing here"
  }
  const unsubscribe = ctx.live.subscribe((state, type) => {
    if (type === "counts" && state.counts) stats = state.counts;
    if (type === "counts" || type === "batch") draw();
  });
  draw();
  return {
    el: [
      section("Queue", counts, h("div", { class: "actions" }, pause)),
      section("Sent and failed per minute, last hour", chart, legend()),
      section("Batches", batches),
    ],
    stop: unsubscribe,
  };
}

/** Deleting old jobs: drawn at the page's end, away from the everyday buttons. */
export function cleanupSection(ctx: Context): HTMLElement {
  const days = h("input", { type: "number", min: 1, max: 3650, value: 30, required: true, inputmode: "numeric" });
  const run = async () => {
    const n = Number(days.value);
    if (!window.confirm(`Delete sent, failed and cancelled jobs older than ${n} days?`)) return;
    try {
      const r = await ctx.api.send<{ deleted: number }>("POST", "/emails/cleanup", { days: n });
      ctx.notify(`Deleted ${formatCount(r.deleted)} jobs.`);
    } catch (e) {
      ctx.notify(`Cleanup failed: ${errorText(e)}`, true);
    }
  };
  const form = h(
    "form",
    {
      class: "inline",
      onsubmit: (e: Event) => {
        e.preventDefault();
        void run();
      },
    },
    field("Delete finished jobs older than (days)", days),
    h("button", { type: "submit" }, "Clean up"),
  );
  return section("Clean up", form);
}

/** The live batches, and the one the job list filters on even when it has gone quiet. */
function batchList(live: Record<string, Batch>, filtered: Batch | null): HTMLElement | HTMLElement[] {
  const shown = { ...live };
  if (filtered && !shown[filtered.batchId]) shown[filtered.batchId] = filtered;
  const list = Object.values(shown).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return list.length > 0 ? list.map(batchRow) : h("p", { class: "muted" }, "No batch active in the last 10 minutes.");
}

function countList(s: EmailStats): HTMLElement {
  const tiles = STATUSES.map((st) =>
    h("div", { class: `tile t-${st}`, "data-count": st }, h("dt", null, st), h("dd", null, formatCount(s.counts[st]))),
  );
  const age = s.oldestPendingAgeSeconds === null ? "none pending" : formatDuration(s.oldestPendingAgeSeconds * 1000);
  return h(
    "div",
    null,
    h("dl", { class: "tiles" }, ...tiles),
    h(
      "p",
      null,
      "Oldest pending: ",
      h("strong", { "data-oldest": "" }, age),
      s.paused ? [" · ", badge("paused")] : null,
    ),
  );
}

const legend = () =>
  h(
    "p",
    { class: "legend" },
    h("span", { class: "key k-sent" }),
    "sent ",
    h("span", { class: "key k-failed" }),
    "failed",
  );

function batchRow(b: Batch): HTMLElement {
  const c = b.counts;
  const done = c.sent + c.failed + c.cancelled;
  return h(
    "div",
    { class: "batch", "data-batch": b.batchId },
    h(
      "p",
      null,
      h("a", { href: `#/email?batchId=${encodeURIComponent(b.batchId)}` }, b.batchId),
      ` ${formatCount(done)} of ${formatCount(b.total)} done · ${c.sent} sent, ${c.failed} failed, ${c.pending + c.sending} waiting`,
      b.finishedAt ? [" · finished ", when(b.finishedAt)] : [" · started ", when(b.startedAt)],
    ),
    stackedBar(`Batch ${b.batchId}`, b.total, [
      { value: c.sent, class: "s-sent", label: "sent" },
      { value: c.failed, class: "s-failed", label: "failed" },
      { value: c.cancelled, class: "s-cancelled", label: "cancelled" },
    ]),
  );
}
