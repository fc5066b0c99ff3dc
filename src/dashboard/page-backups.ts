// Backups: run one now and watch its progress live, the list with verify, and the schedule.
// Restore stays in the CLI on purpose: it replaces data and needs the process stopped.
import { type Context, errorText, type Mount } from "./context.js";
import { badge, button, field, fill, h, pageHeading, section, select, table, when } from "./dom.js";
import { formatBytes, formatDuration } from "./format.js";
import { pagedTable } from "./paged.js";
import { idPath, withQuery } from "./query.js";
import type { Backup, BackupKind, BackupProgress, Page, ScheduleJob } from "./types.js";

const KINDS: [BackupKind, string][] = [
  ["database", "Back up the database now"],
  ["storage", "Back up storage now"],
  ["full", "Run a full backup now"],
];

export const backupsPage: Mount = (root, ctx) => {
  const progress = h("div", { class: "progress-list", "aria-live": "polite" });
  const schedule = h("div", null, "Loading…");
  const kind = select(
    "kind",
    [
      ["", "any"],
      ["database", "database"],
      ["storage", "storage"],
      ["full", "full"],
    ],
    "",
  );
  const list = pagedTable<Backup>(
    "Backups, newest first",
    columns(ctx, () => void list.reload()),
    (cursor) => ctx.api.get<Page<Backup>>(withQuery("/backups", { kind: kind.value, limit: 10, cursor })),
    "No backup yet.",
  );
  kind.addEventListener("change", () => void list.reload(true));
  // Runs started from this page, drawn at 0% until the first progress message arrives.
  const started = new Map<string, BackupProgress>();

  const run = async (k: BackupKind) => {
    try {
      const r = await ctx.api.send<{ id: string }>("POST", "/backups", { kind: k });
      started.set(r.id, {
        id: r.id,
        kind: k,
        phase: k === "storage" ? "storage" : "database",
        percent: 0,
        bytes: 0,
        status: "running",
      });
      ctx.notify(`The ${k} backup ${r.id} started.`);
      draw();
      void list.reload(true);
    } catch (e) {
      ctx.notify(`Could not start the ${k} backup: ${errorText(e)}`, true);
    }
  };

  // `steward backup run rotation`: BACKUP_KEEP_* applied now; it answers when done.
  const rotate = async () => {
    if (!window.confirm("Delete the backups the retention settings no longer keep?")) return;
    try {
      const r = await ctx.api.send<{ removed: string[]; kept: Record<string, number> }>("POST", "/backups", {
        kind: "rotation",
      });
      const kept = Object.values(r.kept).reduce((n, k) => n + k, 0);
      ctx.notify(`Rotation done: ${r.removed.length} deleted, ${kept} kept.`);
      void list.reload(true);
    } catch (e) {
      ctx.notify(`Could not rotate: ${errorText(e)}`, true);
    }
  };

  const draw = () => {
    const all = { ...Object.fromEntries(started), ...ctx.live.state.backups };
    const runs = Object.values(all);
    fill(progress, runs.length > 0 ? runs.map(progressRow) : h("p", { class: "muted" }, "No backup running."));
  };
  // Runs whose end has been seen: the list reloads once per finished run, not per message after.
  const finished = new Set<string>();
  const unsubscribe = ctx.live.subscribe((state, type) => {
    if (type !== "backup") return;
    draw();
    const ended = Object.values(state.backups).filter(
      (b) => (b.phase === "done" || b.phase === "failed") && !finished.has(b.id),
    );
    for (const b of ended) finished.add(b.id);
    // A finished run changes the list: its size, duration and verified state.
    if (ended.length > 0) void list.reload();
  });

  root.append(
    pageHeading("Backups"),
    section(
      "Run now",
      h(
        "div",
        { class: "actions" },
        ...KINDS.map(([k, label]) => button(label, () => void run(k))),
        button("Delete old backups now", () => void rotate(), { class: "secondary" }),
      ),
      progress,
    ),
    section("Backups", h("div", { class: "filters" }, field("Kind", kind)), list.el),
    section("Schedule", schedule),
  );
  draw();
  void list.reload(true);
  ctx.api
    .get<{ jobs: ScheduleJob[] }>("/backups/schedule")
    .then((s) => fill(schedule, scheduleTable(s.jobs)))
    .catch((e) => fill(schedule, h("p", { class: "error" }, errorText(e))));
  return unsubscribe;
};

function columns(ctx: Context, reload: () => void) {
  const verify = (b: Backup) =>
    button(
      "Verify",
      async () => {
        try {
          const r = await ctx.api.send<{ verified: boolean; error: string | null }>(
            "POST",
            idPath("/backups", b.id, "/verify"),
          );
          ctx.notify(
            r.verified ? `Backup ${b.id} verified.` : `Backup ${b.id} failed verification: ${r.error ?? "unknown"}`,
            !r.verified,
          );
          reload();
        } catch (e) {
          ctx.notify(`Could not verify: ${errorText(e)}`, true);
        }
      },
      { class: "secondary small", "aria-label": `Verify backup ${b.id}` },
    );
  return [
    { label: "Started", cell: (b: Backup) => when(b.startedAt) },
    { label: "Kind", cell: (b: Backup) => b.kind },
    { label: "Status", cell: (b: Backup) => badge(b.status) },
    { label: "Duration", cell: (b: Backup) => formatDuration(b.durationMs), class: "num" },
    { label: "Size", cell: (b: Backup) => formatBytes(b.sizeBytes), class: "num" },
    { label: "Verified", cell: (b: Backup) => (b.verified ? [badge("verified"), " ", when(b.verifiedAt)] : "no") },
    { label: "Location", cell: (b: Backup) => h("span", { class: "url" }, b.location ?? "—") },
    { label: "Error", cell: (b: Backup) => b.error ?? "" },
    { label: "Actions", cell: (b: Backup) => (b.status === "succeeded" ? verify(b) : null) },
  ];
}

function progressRow(p: BackupProgress): HTMLElement {
  const percent = Math.max(0, Math.min(100, Math.round(p.percent)));
  const fillBar = h("span", { class: `seg ${p.phase === "failed" ? "s-failed" : "s-sent"}` });
  fillBar.style.width = `${percent}%`;
  const phase = p.phase;
  return h(
    "div",
    { class: "backup-run", "data-backup": p.id },
    h("p", null, `${p.kind} backup ${p.id}: `, badge(phase), ` ${percent}% · ${formatBytes(p.bytes)}`),
    h(
      "div",
      {
        class: "bar",
        role: "progressbar",
        "aria-label": `${p.kind} backup ${p.id}`,
        "aria-valuemin": 0,
        "aria-valuemax": 100,
        "aria-valuenow": percent,
        "aria-valuetext": `${percent}%, ${phase}`,
      },
      fillBar,
    ),
  );
}

function scheduleTable(jobs: ScheduleJob[]): HTMLElement {
  return table(
    "Scheduled backup jobs",
    [
      { label: "Job", cell: (j) => j.name },
      { label: "Enabled", cell: (j) => (j.enabled ? "yes" : badge("disabled")) },
      { label: "Schedule", cell: (j) => [h("code", null, j.schedule), ` (${j.timezone})`] },
      {
        label: "Next runs",
        cell: (j) =>
          j.enabled && j.nextRuns.length > 0
            ? h("ol", { class: "runs" }, ...j.nextRuns.map((r) => h("li", null, when(r, true))))
            : "—",
      },
    ],
    jobs,
  );
}
