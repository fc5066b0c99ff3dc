// Pure formatting: no DOM, so the unit tests run it in Node with a chosen zone and locale.

/** What a time cell shows: text in the reader's zone, and the UTC ISO value for the hover title. */
export interface ShownTime {
  text: string;
  /** The exact UTC value, or null for open-ended and missing instants. */
  iso: string | null;
}

export interface Zone {
  locale?: string;
  timeZone?: string;
}

/** An API instant in the browser's zone (or `zone`, for tests); "infinity" reads "never". */
export function formatInstant(value: string | null | undefined, zone: Zone = {}): ShownTime {
  if (value === null || value === undefined || value === "") return { text: "—", iso: null };
  if (value === "infinity") return { text: "never", iso: null };
  if (value === "-infinity") return { text: "always", iso: null };
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return { text: value, iso: null };
  const text = new Intl.DateTimeFormat(zone.locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZone: zone.timeZone,
  }).format(date);
  return { text, iso: date.toISOString() };
}

/** A calendar day in the reader's zone, e.g. "Tue, Dec 1"; the key groups instants by that day. */
export function dayOf(value: string, zone: Zone = {}): { key: string; text: string } {
  const date = new Date(value);
  const parts = new Intl.DateTimeFormat("en-CA", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    timeZone: zone.timeZone,
  }).format(date);
  const text = new Intl.DateTimeFormat(zone.locale, {
    weekday: "short",
    month: "short",
    day: "numeric",
    timeZone: zone.timeZone,
  }).format(date);
  return { key: parts, text };
}

const UNITS: [number, string][] = [
  [86_400_000, "d"],
  [3_600_000, "h"],
  [60_000, "min"],
  [1000, "s"],
];

/** A duration in its two largest units ("2 h 5 min"), or ms and tenths of seconds when short. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const sign = ms < 0 ? "-" : "";
  const rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${Math.round(rest)} ms`;
  if (rest < 60_000) return `${sign}${(Math.floor(rest / 100) / 10).toString()} s`;
  for (let i = 0; i < UNITS.length; i++) {
    const [size, unit] = UNITS[i]!;
    if (rest < size) continue;
    const major = Math.floor(rest / size);
    const next = UNITS[i + 1];
    const minor = next ? Math.floor((rest - major * size) / next[0]) : 0;
    return `${sign}${major} ${unit}${next && minor > 0 ? ` ${minor} ${next[1]}` : ""}`;
  }
  return `${sign}${rest} ms`;
}

/** "in 5 min" or "3 h 2 min ago", from `now`. */
export function formatRelative(value: string | null | undefined, now: Date): string {
  if (!value || value === "infinity" || value === "-infinity") return "";
  const at = new Date(value).getTime();
  if (Number.isNaN(at)) return "";
  const diff = at - now.getTime();
  if (Math.abs(diff) < 1000) return "now";
  const span = formatDuration(Math.abs(diff) < 60_000 ? Math.round(Math.abs(diff) / 1000) * 1000 : Math.abs(diff));
  return diff > 0 ? `in ${span}` : `${span} ago`;
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** Binary units, three significant digits: 1536 -> "1.50 KiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return "—";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${value} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** A count with thousands separators in the reader's locale. */
export function formatCount(n: number, locale?: string): string {
  return new Intl.NumberFormat(locale).format(n);
}

/** A `datetime-local` input's value (the reader's wall clock) as a UTC ISO string; "" stays "". */
export function localInputToIso(value: string): string {
  if (value === "") return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

/** The inverse: an ISO instant as a `datetime-local` value in the reader's zone. */
export function isoToLocalInput(iso: string): string {
  if (iso === "") return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
