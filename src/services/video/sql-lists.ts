import type { Row, Sql } from "../../db/sql.js";

/**
 * Statements over lists of ids and rows whose texts come from a small fixed set, so the
 * executors' prepared-statement caches (SQLite keeps 500 statements, the PostgreSQL
 * placeholder cache 2,000) hold a handful of texts instead of one per batch length.
 */

const ID_LIST_SIZES = [1, 8, 64, 512];
const ROW_CHUNKS = [64, 32, 16, 8, 4, 2, 1];

/**
 * Calls `fn` with `?, ?, ...` and the ids for each chunk of at most 512, padded to a size in
 * ID_LIST_SIZES by repeating an id (which changes nothing in an IN list).
 */
export async function forEachIdChunk(
  ids: readonly string[],
  fn: (marks: string, chunk: string[]) => Promise<unknown>,
): Promise<void> {
  const max = ID_LIST_SIZES[ID_LIST_SIZES.length - 1] as number;
  for (let i = 0; i < ids.length; i += max) {
    const chunk = ids.slice(i, i + max);
    const size = ID_LIST_SIZES.find((n) => n >= chunk.length) ?? chunk.length;
    const padded = [...chunk, ...Array<string>(size - chunk.length).fill(chunk[0] ?? "")];
    await fn(padded.map(() => "?").join(", "), padded);
  }
}

/** Multi-row inserts in chunks of 64, 32, ... 1 rows; `onRow` sees each returned row. */
export async function insertRows(
  tx: Sql,
  head: string,
  width: number,
  rows: readonly unknown[][],
  returning: string,
  onRow: (row: Row) => void,
): Promise<void> {
  const tuple = `(${Array(width).fill("?").join(", ")})`;
  let i = 0;
  while (i < rows.length) {
    const size = ROW_CHUNKS.find((n) => n <= rows.length - i) as number;
    const chunk = rows.slice(i, i + size);
    const returned = await tx.all<Row>(`${head} ${Array(size).fill(tuple).join(", ")} ${returning}`, chunk.flat());
    for (const row of returned) onRow(row);
    i += size;
  }
}
