import { describe, expect, it } from "vitest";
import { CursorPager } from "../../../src/dashboard/paging.js";
import {
  emailFiltersFrom,
  emailListUrl,
  emptyEmailFilters,
  idPath,
  jobsHeading,
  retryFailedBody,
  withQuery,
} from "../../../src/dashboard/query.js";
import { parseRoute, routeHash } from "../../../src/dashboard/route.js";

describe("the job list's heading", () => {
  it("names the order of each status's list, as GET /emails pages it", () => {
    expect(jobsHeading("")).toBe("Email jobs, newest first");
    expect(jobsHeading("pending")).toBe("Pending email jobs, next to go out first");
    expect(jobsHeading("sending")).toBe("Email jobs being sent, newest first");
    expect(jobsHeading("failed")).toBe("Failed email jobs, last finished first");
  });
});

describe("API URLs", () => {
  it("leaves out empty values and encodes the rest", () => {
    expect(withQuery("/backups", { kind: "", limit: 20, cursor: null })).toBe("/backups?limit=20");
    expect(withQuery("/x", { owner: "Ada & Co", days: 7 })).toBe("/x?owner=Ada+%26+Co&days=7");
    expect(withQuery("/x", {})).toBe("/x");
  });

  it("builds the job list query from the filter form, created times in UTC", () => {
    const filters = { ...emptyEmailFilters(), status: "failed", recipient: "a+b@example.com", batchId: "b 1" };
    expect(emailListUrl(filters, "Y3Vyc29y", 25)).toBe(
      "/emails?status=failed&recipient=a%2Bb%40example.com&batchId=b+1&limit=25&cursor=Y3Vyc29y",
    );
    const created = emailListUrl({ ...emptyEmailFilters(), createdFrom: "2026-12-01T08:00" }, null, 25);
    const from = new URL(created, "http://x").searchParams.get("createdFrom");
    expect(from).toBe(new Date("2026-12-01T08:00").toISOString());
  });

  it("carries the recipient and batch filters into retry-all, not the status", () => {
    expect(retryFailedBody({ ...emptyEmailFilters(), status: "sent", recipient: "x@y", batchId: "" })).toEqual({
      recipient: "x@y",
    });
    expect(retryFailedBody(emptyEmailFilters())).toEqual({});
  });

  it("puts any id into one path segment", () => {
    expect(idPath("/emails", "a/b?c", "/retry")).toBe("/emails/a%2Fb%3Fc/retry");
  });
});

describe("hash routes", () => {
  it("reads the page, an id and the filters, and writes them back", () => {
    const route = parseRoute("#/email/job%2F7?status=failed");
    expect(route.page).toBe("email");
    expect(route.id).toBe("job/7");
    expect(emailFiltersFrom(route.params)).toEqual({ ...emptyEmailFilters(), status: "failed" });
    expect(routeHash("email", "job/7", { status: "failed", recipient: "" })).toBe("#/email/job%2F7?status=failed");
  });

  it("falls back to the overview for an unknown or empty hash", () => {
    expect(parseRoute("").page).toBe("overview");
    expect(parseRoute("#/nope/1")).toMatchObject({ page: "overview", id: null });
    expect(parseRoute("#/video/%E0%A4%A").id).toBeNull();
  });
});

describe("cursor paging", () => {
  it("goes forward by the answer's cursor and back by the cursors it remembered", () => {
    const pager = new CursorPager();
    expect(pager).toMatchObject({ cursor: null, page: 1, hasPrevious: false, hasNext: false });
    pager.loaded("c2");
    expect(pager.hasNext).toBe(true);
    expect(pager.forward()).toBe("c2");
    pager.loaded("c3");
    expect(pager.forward()).toBe("c3");
    pager.loaded(null);
    expect(pager).toMatchObject({ cursor: "c3", page: 3, hasPrevious: true, hasNext: false });
    expect(pager.forward()).toBeNull();
    expect(pager.back()).toBe(true);
    expect(pager).toMatchObject({ cursor: "c2", page: 2 });
    expect(pager.back()).toBe(true);
    expect(pager.back()).toBe(false);
    expect(pager.cursor).toBeNull();
  });

  it("starts over on reset (new filters)", () => {
    const pager = new CursorPager();
    pager.loaded("c2");
    pager.forward();
    pager.reset();
    expect(pager).toMatchObject({ cursor: null, page: 1, hasNext: false });
  });
});
