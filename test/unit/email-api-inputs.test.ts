import { describe, expect, it } from "vitest";
import {
  batchBody,
  encodeCursor,
  listQuery,
  parsePage,
  retryFailedBody,
} from "../../src/services/email/actions/inputs.js";

const query = (text: string) => listQuery(new URLSearchParams(text));
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("not refused");
};

describe("the email API's query and bodies", () => {
  it("reads every filter, ignores blank ones, and pages from a cursor it made", () => {
    const position = { order: "finished" as const, key: ["2026-03-01T12:00:00.123456+00:00", "019a-id"] };
    const cursor = encodeCursor(position);
    expect(
      query(
        `status=failed&recipient=%20Ann%20&batchId=&createdFrom=2026-03-01T00:00:00Z&sentTo=2026-03-02T01:00:00%2B01:00&limit=500&cursor=${cursor}`,
      ),
    ).toEqual({
      filter: {
        status: "failed",
        recipient: "Ann",
        createdFrom: new Date("2026-03-01T00:00:00Z"),
        sentTo: new Date("2026-03-02T00:00:00Z"),
      },
      page: { limit: 500, after: position },
    });
    expect(query("")).toEqual({ filter: {}, page: { limit: 50, after: null } });
  });

  it("refuses what it cannot read, in one line naming the field", () => {
    const notOurs = "cursor is not one this API answered: pass nextCursor back unchanged";
    for (const cursor of [
      "%%%",
      Buffer.from("{}").toString("base64url"),
      Buffer.from('{"before":"019a-id"}').toString("base64url"),
      Buffer.from('{"order":"due","key":[1,2]}').toString("base64url"),
      Buffer.from('{"order":"newest","key":[null]}').toString("base64url"),
      Buffer.from('{"order":"toString","key":[1]}').toString("base64url"),
    ]) {
      expect(refusal(() => parsePage(undefined, cursor))).toBe(notOurs);
    }
    expect(refusal(() => query("limit=501"))).toBe("limit must be a whole number from 1 to 500");
    expect(refusal(() => query("limit=1.5"))).toBe("limit must be a whole number from 1 to 500");
    expect(refusal(() => query("status=Sent"))).toMatch(/^status "Sent" is not one of /);
    expect(refusal(() => query("sentFrom=2026-13-01T00:00:00Z"))).toMatch(
      /^sentFrom "2026-13-01T00:00:00Z" is not a real/,
    );
    expect(refusal(() => query("cursor=a&cursor=b"))).toBe("cursor is given more than once");
    expect(refusal(() => query(`recipient=${"x".repeat(321)}`))).toBe("recipient is longer than 320 characters");
  });

  it("checks retry-failed and batch bodies before anything runs", () => {
    expect(retryFailedBody({ recipient: "bob@", max: 5 })).toEqual({ filter: { recipient: "bob@" }, max: 5 });
    expect(refusal(() => retryFailedBody({ max: 0 }))).toBe("max must be a whole number from 1 to 1000000");
    expect(refusal(() => retryFailedBody({ status: "sent" }))).toBe(
      "unknown field status (known: recipient, batchId, max)",
    );
    const job = { to: "a@example.com", subject: "s", text: "t" };
    expect(batchBody({ batchId: "b", jobs: [job] })).toEqual({ batchId: "b", jobs: [{ ...job, sendAt: undefined }] });
    expect(refusal(() => batchBody({ jobs: job }))).toBe("jobs must be a list of 1 to 10000 emails");
    expect(refusal(() => batchBody({ jobs: [job, { ...job, sendAt: "tomorrow" }] }))).toMatch(
      /^jobs\[1\]: sendAt "tomorrow"/,
    );
    expect(refusal(() => batchBody({ jobs: [job], extra: 1 }))).toBe("unknown field extra (known: batchId, jobs)");
  });
});
