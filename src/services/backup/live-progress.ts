import type { BackupProgress, ServiceContext } from "../contract.js";
import type { BackupKind } from "./manifest.js";
import type { Phase, ProgressEvent } from "./part.js";
import type { BackupRecord } from "./store.js";

/** At most this often per run; a phase change and the end are always told. */
const EVERY_MS = 250;

const PART: Partial<Record<Phase, "database" | "storage">> = {
  snapshot: "database",
  compress: "database",
  dump: "database",
  scan: "storage",
  archive: "storage",
};

/**
 * Where each part sits on one bar from 0 to 100: writing takes the first 80 (a full backup
 * splits it between its database and its storage), reading it all back the last 20. The
 * phases report their own totals, so the bar moves forward only, phase after phase.
 */
function span(kind: BackupKind, part: "database" | "storage" | "verify"): [number, number] {
  if (part === "verify") return [80, 100];
  if (kind !== "full") return [0, 80];
  return part === "database" ? [0, 40] : [40, 80];
}

/**
 * Tells the host's event hub how one backup goes, for the dashboard's progress bar: the
 * scheduled runs of the service and the runs started over HTTP alike.
 */
export function progressReporter(ctx: Pick<ServiceContext, "events" | "clock">, kind: BackupKind) {
  let id: string | null = null;
  let lastAt = 0;
  let lastPart = "";
  let bytes = 0;
  let percent = 0;
  const emit = (progress: Omit<BackupProgress, "id" | "kind">) => {
    if (id !== null) ctx.events.emit("backup:progress", { id, kind, ...progress });
  };
  return {
    onStart(startedId: string) {
      id = startedId;
      emit({ phase: kind === "storage" ? "storage" : "database", percent: 0, bytes: 0, status: "running" });
    },
    onProgress(event: ProgressEvent) {
      const part = PART[event.phase] ?? "verify";
      const now = ctx.clock.now().getTime();
      if (event.unit === "bytes" && part !== "verify") bytes = Math.max(bytes, event.done);
      if (part === lastPart && now - lastAt < EVERY_MS) return;
      lastAt = now;
      lastPart = part;
      const [from, to] = span(kind, part);
      const share = event.total ? Math.min(1, event.done / event.total) : 0;
      percent = Math.max(percent, Math.floor(from + (to - from) * share));
      emit({ phase: part, percent, bytes, status: "running" });
    },
    /** The verdict: `done` at 100% once it is verified and in place, else `failed`. */
    finished(record: BackupRecord) {
      id ??= record.id;
      const ok = record.status === "succeeded";
      emit({
        phase: ok ? "done" : "failed",
        percent: ok ? 100 : percent,
        bytes: record.bytes ?? bytes,
        status: record.status,
      });
    },
  };
}
