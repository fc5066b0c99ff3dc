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
  });

  it("binds a single row's columns only where they differ from the table's default", () => {
    const [plain, dressed] = prepareRows(
      [
        { to: "a@b.com", subject: "s", text: "t" },
        { to: "a@b.com", cc: "c@b.com", subject: "s", html: "<p>h</p>", priority: 2, idempotencyKey: "k" },
      ],
      { now: new Date() },
    ) as [PreparedRow, PreparedRow];
    const one = sqliteInsert([plain], false);
    expect(one.params).toEqual([
      '["a@b.com"]',
      "s",
      "t",
      plain.runAt,
      plain.messageId,
      plain.createdAt,
      plain.createdAt,
    ]);
    expect(placeholders(one.text)).toBe(7);
    expect(one.text).not.toMatch(/cc_addrs|priority|on conflict/);
    const two = sqliteInsert([dressed], true);
    expect(two.params).toEqual(expect.arrayContaining(['["c@b.com"]', "<p>h</p>", 2, "k"]));
    expect(two.params).toHaveLength(10);
    expect(placeholders(two.text)).toBe(10);
    expect(two.text).toMatch(/cc_addrs.*html_body.*priority.*idempotency_key.*on conflict do nothing$/);
  });
});
