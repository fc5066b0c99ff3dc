import { describe, expect, it } from "vitest";
import { CLAIMED_COLUMNS, claimedRow, jobFromRow } from "../../src/services/email/store/job.js";

describe("a claimed row read in SQLite's raw mode", () => {
  const claim = { holder: "p1", expires: 1_700_000_060_000, at: 1_700_000_000_000 };

  it("takes each value from its column's place in CLAIMED_COLUMNS", () => {
    // Each column's value is its own name: a value in the wrong place names another column.
    const row = claimedRow([...CLAIMED_COLUMNS], claim);
    for (const column of CLAIMED_COLUMNS) expect(row[column]).toBe(column);
  });

  it("holds the claim's own values, as the job a send gets", () => {
    const values = CLAIMED_COLUMNS.map((column) => {
      if (column.endsWith("_addrs")) return column === "to_addrs" ? '["a@example.com"]' : "[]";
      if (column === "run_at" || column === "created_at") return 1_699_999_000_000;
      if (column === "id") return 42;
      return null;
    });
    const job = jobFromRow(claimedRow(values, claim));
    expect(job).toMatchObject({
      id: "42",
      to: ["a@example.com"],
      status: "sending",
      leaseHolder: "p1",
      leaseExpiresAt: new Date(claim.expires),
      updatedAt: new Date(claim.at),
      createdAt: new Date(1_699_999_000_000),
    });
  });
});
