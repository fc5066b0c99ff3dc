import { readSeedTime } from "./naive-time.js";

/** Reading one seed row's values: a value that cannot be read throws Problem, which skips the row with its reason. */

export type Row = Record<string, unknown>;

export class Problem extends Error {}

export const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function time(row: Row, column: string): Date | null {
  const read = readSeedTime(row[column], column);
  if (read !== null && !(read instanceof Date)) throw new Problem(read.problem);
  return read;
}

export function requiredTime(row: Row, column: string): Date {
  const at = time(row, column);
  if (!at) throw new Problem(`${column} is empty`);
  return at;
}

export function oneOf<T extends string>(value: unknown, column: string, allowed: readonly T[], fallback: T): T {
  if (value === null || value === undefined) return fallback;
  if ((allowed as readonly unknown[]).includes(value)) return value as T;
  throw new Problem(`${column} "${String(value)}" is not one of ${allowed.join(", ")}`);
}
