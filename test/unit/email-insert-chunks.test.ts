import { describe, expect, it } from "vitest";
import { type PreparedRow, prepareRows } from "../../src/services/email/enqueue/insert.js";
import { rowsPerStatement, sqliteInsert } from "../../src/services/email/enqueue/sqlite-insert.js";

/** `n` unkeyed rows in which no other column holds one value throughout: the most a chunk binds. */
function allDifferent(n: number): PreparedRow[] {
  const now = Date.now();
  return prepareRows(
    Array.from({ length: n }, (_, i) => ({
      to: `a${i}@b.com`,
      cc: i % 2 ? `c${i}@b.com` : [],
      bcc: i % 2 ? [] : `d${i}@b.com`,
      from: i % 2 ? `f${i}@b.com` : undefined,
      replyTo: i % 2 ? undefined : `r${i}@b.com`,
      subject: `s${i}`,
      text: i % 2 ? `t${i}` : undefined,
      html: i % 2 ? undefined : `<p>${i}</p>`,
      headers: i % 2 ? { "X-N": String(i) } : undefined,
      priority: i % 3,
      sendAt: new Date(now + i),
      batchId: i % 2 ? `b${i}` : undefined,
      idempotencyKey: undefined,
    })),
    { now: new Date() },
  ).map((row, i) => ({
    ...row,
    templateId: i % 2 ? "t" : null,
    variables: i % 2 ? null : "{}",
    maxAttempts: i % 2 ? 3 : null,
    createdAt: now + i,
  }));
}

const placeholders = (text: string) => text.split("?").length - 1;

describe("SQLite's multi-row INSERT", () => {
  it("stays under the parameter limit of the SQLite it runs on", () => {
    // 3.32 raised SQLITE_MAX_VARIABLE_NUMBER from 999 to 32,766.
    for (const [version, limit] of [
      ["3.31.1", 999],
      ["3.32.0", 32_766],
      ["3.46.1", 32_766],
    ] as const) {
      const rows = rowsPerStatement(version);
      const { text, params } = sqliteInsert(allDifferent(rows), false);
      expect(params.length, version).toBeLessThanOrEqual(limit);
      // A chunk of unkeyed rows shares one column at least (no key), so the 19 a row bound alone
      // is the most a chunk could take: one row more would pass the limit.
      expect((rows + 1) * 19, version).toBeGreaterThan(limit);
      expect(placeholders(text)).toBe(params.length);
    }
  });

  it("binds a column every row shares once, and the others once a row", () => {
    const rows = prepareRows(
      Array.from({ length: 100 }, (_, i) => ({ to: "a@b.com", subject: "s", text: `t${i}` })),
      { now: new Date() },
    );
    const { text, params } = sqliteInsert(rows, false);
    // text_body and message_id vary; the other 17 columns are one value each.
    expect(params.length).toBe(17 + 100 * 2);
    expect(placeholders(text)).toBe(params.length);
    expect(params.slice(17, 19)).toEqual([rows[0]?.text, rows[0]?.messageId]);
    // One row is bound as it is.
    expect(sqliteInsert(rows.slice(0, 1), false).params).toHaveLength(19);
  });
});
