// What the live stream has said so far. Pure: `applyEvent` folds one SSE message into the
// state, so a page mounted late starts from the latest values instead of waiting for the next.
import type { Alert, BackupProgress, Batch, EmailStats, ServiceStatus } from "./types.js";

export const EVENT_TYPES = ["counts", "service", "batch", "backup", "alert"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface LiveState {
  counts: EmailStats | null;
  services: Record<string, ServiceStatus>;
  batches: Record<string, Batch>;
  backups: Record<string, BackupProgress>;
  /** Newest first, at most MAX_ALERTS. */
  alerts: Alert[];
}

export const MAX_ALERTS = 50;

export function emptyState(): LiveState {
  return { counts: null, services: {}, batches: {}, backups: {}, alerts: [] };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const hasString = (v: Record<string, unknown>, key: string) => typeof v[key] === "string";

/** The state after one message; a malformed message leaves it as it was. */
export function applyEvent(state: LiveState, type: string, data: unknown): LiveState {
  if (!isObject(data)) return state;
  switch (type) {
    case "counts":
      return isObject(data.counts) ? { ...state, counts: data as unknown as EmailStats } : state;
    case "service":
      return hasString(data, "name")
        ? { ...state, services: { ...state.services, [data.name as string]: data as unknown as ServiceStatus } }
        : state;
    case "batch":
      return hasString(data, "batchId")
        ? { ...state, batches: { ...state.batches, [data.batchId as string]: data as unknown as Batch } }
        : state;
    case "backup":
      return hasString(data, "id")
        ? { ...state, backups: { ...state.backups, [data.id as string]: data as unknown as BackupProgress } }
        : state;
    case "alert": {
      if (!hasString(data, "id")) return state;
      // A reconnect replays recent alerts: keep one copy of each.
      const rest = state.alerts.filter((a) => a.id !== data.id);
      const alerts = [data as unknown as Alert, ...rest].sort((a, b) => b.at.localeCompare(a.at));
      return { ...state, alerts: alerts.slice(0, MAX_ALERTS) };
    }
    default:
      return state;
  }
}

/** Alerts from GET /alerts merged with the live ones, newest first, one copy each. */
export function mergeAlerts(live: readonly Alert[], fetched: readonly Alert[]): Alert[] {
  const seen = new Map<string, Alert>();
  for (const a of [...live, ...fetched]) if (!seen.has(a.id)) seen.set(a.id, a);
  return [...seen.values()].sort((a, b) => b.at.localeCompare(a.at));
}
