/**
 * The portable query surface every store uses. SQL is written once with `?` placeholders;
 * the PostgreSQL executor numbers them. Instants go in as Date and come back as Date on both
 * dialects (SQLite keeps them as integer milliseconds since the epoch, PostgreSQL as
 * timestamptz), so no store ever compares times as strings.
 */
import { clampInstant } from "../core/instant.js";

export type Dialect = "sqlite" | "pg";
export type Row = Record<string, unknown>;

export interface Sql {
  readonly dialect: Dialect;
  all<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  get<T = Row>(text: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(text: string, params?: readonly unknown[]): Promise<number>;
  /**
   * Runs `fn` in one transaction (SQLite: BEGIN IMMEDIATE, so writers queue up front instead
   * of failing on upgrade). Inside `fn`, use the executor it is given. Nested calls join the
   * outer transaction.
   */
  tx<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
}

/**
 * Converts a value read from either dialect to a Date (or null). What a Date cannot hold
 * (PostgreSQL's infinity, which pg hands over as a number; its years past 275760, an invalid
 * Date; a SQLite integer past 8.64e15 written before the triggers refused one) is clamped to
 * the latest or earliest Date, so reading such a row never throws later on toISOString.
 */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? clampInstant(Number.NaN) : value;
  if (typeof value === "number") return clampInstant(value);
  if (typeof value === "bigint") return clampInstant(Number(value));
  if (typeof value === "string") {
    const asNumber = Number(value);
    return Number.isFinite(asNumber) ? clampInstant(asNumber) : new Date(value);
  }
  throw new TypeError(`cannot read ${typeof value} as a time`);
}

/** When a row was created and last written: the two columns most tables here have. */
export function storedTimes(row: Row): { createdAt: Date; updatedAt: Date } {
  return { createdAt: toDate(row.created_at) as Date, updatedAt: toDate(row.updated_at) as Date };
}

/** SQLite stores booleans as 0/1; PostgreSQL as boolean. */
export function toBool(value: unknown): boolean {
  return value === true || value === 1 || value === 1n || value === "t" || value === "1";
}

/** SQLite stores JSON as text; PostgreSQL jsonb arrives parsed. */
export function fromJson<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  if (typeof value === "string") return JSON.parse(value) as T;
  return value as T;
}

/** JSON parameter for a json (SQLite text) or jsonb (PostgreSQL) column. */
export function jsonParam(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string") return Number(value);
  if (value === null || value === undefined) return 0;
  throw new TypeError(`cannot read ${typeof value} as a number`);
}
