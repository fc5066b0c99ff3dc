import { describe, expect, it } from "vitest";
import { parseSendOptions } from "../../src/services/email/enqueue/cli-input.js";
import { emailInputFromJson } from "../../src/services/email/enqueue/http-input.js";

describe("POST /emails body", () => {
  it("takes the documented fields and reads sendAt as ISO 8601", () => {
    const input = emailInputFromJson({ to: "a@example.com", subject: "s", text: "t", sendAt: "2026-05-01T10:00:00Z" });
    expect(input).toMatchObject({ to: "a@example.com", subject: "s" });
    expect(input.sendAt?.toISOString()).toBe("2026-05-01T10:00:00.000Z");
  });

  it("carries every documented field through, and each input has the same keys", () => {
    const body = {
      to: ["a@example.com"],
      cc: "c@example.com",
      bcc: ["d@example.com"],
      from: "f@example.com",
      replyTo: "r@example.com",
      subject: "s",
      text: "t",
      html: "<p>h</p>",
      templateId: "welcome",
      variables: { name: "Ann" },
      headers: { "X-Campaign": "spring" },
      priority: -3,
      sendAt: "2026-05-01T10:00:00+02:00",
      idempotencyKey: "order-1",
      batchId: "spring",
    };
    const input = emailInputFromJson(JSON.parse(JSON.stringify(body)));
    expect(input).toEqual({ ...body, sendAt: new Date("2026-05-01T08:00:00Z") });
    expect(Object.keys(emailInputFromJson({ to: "a@example.com" }))).toEqual(Object.keys(body));
  });

  it.each([
    [[], /the body must be a JSON object/],
    ["text", /the body must be a JSON object/],
    [{ to: "a@example.com", bcc_addrs: ["x"] }, /unknown field bcc_addrs/],
    [{ to: "a@example.com", sendAt: 1767000000 }, /sendAt must be an ISO 8601 time/],
    [{ to: "a@example.com", sendAt: "2026-13-45T99:00:00Z" }, /sendAt "2026-13-45T99:00:00Z" is not a real date/],
    [{ to: "a@example.com", sendAt: "2027-02-30T00:00:00Z" }, /sendAt "2027-02-30T00:00:00Z" is not a real date/],
    [{ to: "a@example.com", sendAt: "2027-03-01T12:00:00" }, /sendAt "2027-03-01T12:00:00" has no offset/],
  ])("refuses %j", (body, reason) => {
    expect(() => emailInputFromJson(body)).toThrow(reason);
  });
});

describe("`steward email send` options", () => {
  it("builds variables, headers, priority and sendAt", () => {
    const input = parseSendOptions({
      to: ["a@example.com", "b@example.com"],
      template: "welcome",
      var: ["name=Ann", "url=https://x.test/?a=b"],
      header: ["X-Campaign: spring", "X-Empty:"],
      priority: -5,
      sendAt: "2026-05-01T10:00:00Z",
    });
    expect(input).toMatchObject({
      to: ["a@example.com", "b@example.com"],
      templateId: "welcome",
      variables: { name: "Ann", url: "https://x.test/?a=b" },
      headers: { "X-Campaign": "spring", "X-Empty": "" },
      priority: -5,
    });
    expect(input.sendAt?.toISOString()).toBe("2026-05-01T10:00:00.000Z");
  });

  it.each([
    [{ var: ["=x"] }, /--var "=x" is not name=value/],
    [{ header: ["NoColon"] }, /--header "NoColon" is not Name: value/],
    [{ sendAt: "next week" }, /--send-at "next week" is not an ISO 8601 time/],
    [{ sendAt: "2027-02-30T00:00:00Z" }, /--send-at "2027-02-30T00:00:00Z" is not a real date/],
    [{ sendAt: "2027-03-01T12:00:00" }, /--send-at "2027-03-01T12:00:00" has no offset/],
  ])("refuses %j", (opts, reason) => {
    expect(() => parseSendOptions(opts)).toThrow(reason);
  });
});
