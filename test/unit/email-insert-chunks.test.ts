import { describe, expect, it } from "vitest";
import { prepareRows } from "../../src/services/email/enqueue/insert.js";
import { rowsPerStatement, sqliteInsertText, sqliteParams } from "../../src/services/email/enqueue/sqlite-insert.js";

describe("SQLite's multi-row INSERT", () => {
  it("stays under the parameter limit of the SQLite it runs on", () => {
    // 3.32 raised SQLITE_MAX_VARIABLE_NUMBER from 999 to 32,766.
    for (const [version, limit] of [
      ["3.31.1", 999],
      ["3.32.0", 32_766],
      ["3.46.1", 32_766],
    ] as const) {
      const rows = rowsPerStatement(version);
      const params = sqliteParams(
        prepareRows(Array(rows).fill({ to: "a@b.com", subject: "s", text: "t" }), { now: new Date() }),
      );
      expect(params.length, version).toBeLessThanOrEqual(limit);
      expect(params.length + params.length / rows, version).toBeGreaterThan(limit);
      expect(sqliteInsertText(rows, false).split("?").length - 1).toBe(params.length);
    }
  });
});
