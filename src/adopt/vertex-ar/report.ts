import type { Sql } from "../../db/sql.js";
import { noticeDue, plannedNotices } from "../../services/lifecycle/index.js";
import { planPortrait, type VideoFacts } from "../../services/video/index.js";
import { type ImportPlan, type Issue, type PlannedSubject, SEED_TABLES, WHOLE_TABLE } from "./plan.js";
import type { RowUpdate } from "./sync.js";
import type { Counted, WriteResult } from "./write.js";

/** What an import did and what Steward will do because of it; read inside the import's transaction, so exact. */
export interface ImportReport {
  from: string;
  into: string;
  dryRun: boolean;
  /** `--sync`: rows already there were updated to the app's values. */
  sync: boolean;
  at: string;
  tables: Record<Counted, { read: number | null; imported: number; alreadyThere: number; skipped: number }>;
  /** Rows left out, with the reason. */
  skipped: Issue[];
  /** Rows written without something the reason names. */
  changed: Issue[];
  /** With --sync, the rows already there that were updated to the seed's values, field by field. */
  updated: RowUpdate[];
  next: string[];
}

export interface ForeseeOptions {
  now: Date;
  expiredNoticeDays: number;
  notificationsEnabled: boolean;
  rotationIntervalMs: number;
  archiveAfterMs: number;
}

export async function buildReport(
  tx: Sql,
  plan: ImportPlan,
  written: WriteResult,
  meta: { from: string; into: string; dryRun: boolean; sync: boolean },
  options: ForeseeOptions,
): Promise<ImportReport> {
  const issues = [...plan.issues, ...written.refused];
  const skipped = issues.filter((i) => i.outcome === "skipped");
  const tables = {} as ImportReport["tables"];
  for (const table of [...SEED_TABLES, "lifecycle_notices"] as Counted[]) {
    tables[table] = {
      read: table === "lifecycle_notices" ? null : plan.read[table],
      imported: written.imported[table],
      alreadyThere: written.present[table],
      // A whole table left out is a line of the report, not a row of the count.
      skipped: skipped.filter((i) => i.table === table && i.id !== WHOLE_TABLE).length,
    };
  }
  return {
    ...meta,
    at: options.now.toISOString(),
    tables,
    skipped,
    changed: issues.filter((i) => i.outcome === "imported"),
    updated: meta.sync ? written.differing : [],
    next: [
      ...mailNext(written),
      ...(await noticesNext(tx, plan, options)),
      ...videosNext(plan, options),
      ...differingNext(written, meta.sync),
    ],
  };
}

/** Without --sync, the app's changes to rows already there are named, not written. */
function differingNext(w: WriteResult, sync: boolean): string[] {
  if (sync || w.differing.length === 0) return [];
  const fields = [...new Set(w.differing.flatMap((u) => u.changes.map((c) => c.field)))].sort().join(", ");
  return [
    `${plural(w.differing.length, "row")} already there ${w.differing.length === 1 ? "differs" : "differ"} from Vertex AR's (${fields}), left as they are; --sync carries the app's changes`,
  ];
}

function mailNext(w: WriteResult): string[] {
  const out: string[] = [];
  if (w.jobs.pending > 0) out.push(`${plural(w.jobs.pending, "mail")} pending: the email queue sends them at once`);
  if (w.jobs.failed > 0) {
    out.push(
      `${plural(w.jobs.failed, "failed mail")} kept failed, not resent; \`steward email retry --id <id>\` sends one again`,
    );
  }
  return out;
}

async function noticesNext(tx: Sql, plan: ImportPlan, o: ForeseeOptions): Promise<string[]> {
  if (!o.notificationsEnabled) return ["lifecycle notices are off (LIFECYCLE_NOTIFICATIONS_ENABLED=false)"];
  const recorded = new Set(
    (
      await tx.all<{ subject_type: string; subject_id: string; kind: string; subscription_end: unknown }>(
        "select subject_type, subject_id, kind, subscription_end from lifecycle_notices",
      )
    ).map((r) => `${r.subject_type}:${r.subject_id}:${r.kind}:${toMs(r.subscription_end)}`),
  );
  const projectOwner = new Map(plan.projects.map((p) => [p.id, p.ownerEmail]));
  let dueNow = 0;
  let soon = 0;
  let ownerless = 0;
  const byKind: Record<string, number> = {};
  for (const s of [...plan.projects, ...plan.portraits]) {
    if (!s.subscriptionEnd) continue;
    const key = (kind: string) => `${s.type}:${s.id}:${kind}:${s.subscriptionEnd?.getTime()}`;
    const recipient = s.ownerEmail ?? (s.projectId ? projectOwner.get(s.projectId) : null) ?? null;
    const kind = noticeDue(s.subscriptionEnd, o.now, o.expiredNoticeDays);
    if (kind && !recorded.has(key(kind))) {
      if (recipient) {
        dueNow += 1;
        byKind[kind] = (byKind[kind] ?? 0) + 1;
      } else ownerless += 1;
    }
    soon += upcoming(s, o, recipient, (k) => recorded.has(key(k)));
  }
  const out: string[] = [];
  if (dueNow > 0) {
    const kinds = ["7day", "24hour", "expired"]
      .filter((k) => byKind[k])
      .map((k) => `${byKind[k]} ${k}`)
      .join(", ");
    out.push(`${plural(dueNow, "notice")} due now (${kinds}): sent at the next lifecycle pass`);
  }
  if (soon > 0) out.push(`${plural(soon, "more notice")} due within 24 hours`);
  if (ownerless > 0) out.push(`${plural(ownerless, "due notice")} held back: no owner email`);
  if (out.length === 0) out.push("no lifecycle notice due within 24 hours");
  return out;
}

const DAY_MS = 86_400_000;

/** Notices whose window opens within the next 24 hours (after now), not yet recorded. */
function upcoming(s: PlannedSubject, o: ForeseeOptions, recipient: string | null, done: (kind: string) => boolean) {
  if (!recipient || !s.subscriptionEnd) return 0;
  return plannedNotices(s.subscriptionEnd, o.now, DAY_MS, o.expiredNoticeDays).filter(
    (n) => n.at.getTime() > o.now.getTime() && !done(n.kind),
  ).length;
}

function videosNext(plan: ImportPlan, o: ForeseeOptions): string[] {
  const byPortrait = new Map<string, VideoFacts[]>();
  for (const v of plan.videos) {
    const list = byPortrait.get(v.portraitId) ?? [];
    list.push({ ...v });
    byPortrait.set(v.portraitId, list);
  }
  const counts = { show: 0, hide: 0, archive: 0 };
  for (const videos of byPortrait.values()) {
    // The first of the others for a random rotation: the report names a count, not which one.
    for (const change of planPortrait(videos, o.now, o, () => 0)) counts[change.action] += 1;
  }
  const shown = plan.videos.filter((v) => v.isShown).length;
  const changes = counts.show + counts.hide + counts.archive;
  return [
    `${plural(shown, "video")} shown as in Vertex AR; ` +
      (changes === 0
        ? "the next video pass changes none"
        : `the next video pass shows ${counts.show}, hides ${counts.hide} and archives ${counts.archive}`),
  ];
}

function toMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  return Number(value);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** The report as text: the table of counts, the rows skipped or changed and why, what comes next. */
export function reportText(r: ImportReport): string {
  const lines = [`Vertex AR import from ${r.from} into ${r.into}${r.dryRun ? " (dry run: nothing written)" : ""}`, ""];
  const rows = Object.entries(r.tables).map(([table, t]) => [
    table,
    t.read === null ? "-" : String(t.read),
    String(t.imported),
    String(t.alreadyThere),
    String(t.skipped),
  ]);
  const header = ["table", "read", r.dryRun ? "would import" : "imported", "already there", "skipped"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  for (const row of [header, ...rows]) {
    lines.push(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    );
  }
  const list = (title: string, issues: Issue[]) => {
    if (issues.length === 0) return;
    lines.push("", title);
    for (const i of issues) lines.push(`  ${i.table} ${i.id}: ${i.reason}`);
  };
  list("Skipped:", r.skipped);
  list("Imported with a change:", r.changed);
  if (r.updated.length > 0) {
    lines.push("", r.dryRun ? "Would update from Vertex AR:" : "Updated from Vertex AR:");
    for (const u of r.updated) {
      const changes = u.changes.map((c) => `${c.field} ${c.from ?? "(none)"} -> ${c.to ?? "(none)"}`);
      lines.push(`  ${u.table} ${u.id}: ${changes.join("; ")}`);
    }
  }
  lines.push("", "Next:");
  for (const line of r.next) lines.push(`  ${line}`);
  return `${lines.join("\n")}\n`;
}
