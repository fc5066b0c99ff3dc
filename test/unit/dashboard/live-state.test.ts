import { describe, expect, it } from "vitest";
import { summarizeHealth } from "../../../src/dashboard/health.js";
import { applyEvent, emptyState, MAX_ALERTS, mergeAlerts } from "../../../src/dashboard/store.js";
import { planDays } from "../../../src/dashboard/timeline.js";
import type { Alert, ServiceStatus } from "../../../src/dashboard/types.js";

const alert = (id: string, at: string): Alert => ({ id, at, severity: "error", key: "k", message: id, instance: null });
const service = (name: string, extra: Partial<ServiceStatus> = {}): ServiceStatus => ({
  name,
  enabled: true,
  state: "running",
  leader: null,
  startedAt: null,
  lastRunAt: null,
  lastSuccessAt: null,
  lastError: null,
  nextRunAt: null,
  runs: 0,
  failures: 0,
  consecutiveFailures: 0,
  ...extra,
});

describe("the live state", () => {
  it("keeps the latest of each kind of message", () => {
    let s = applyEvent(emptyState(), "counts", { counts: { pending: 1 }, perMinute: [], paused: false });
    s = applyEvent(s, "service", service("email"));
    s = applyEvent(s, "service", service("email", { state: "failed" }));
    s = applyEvent(s, "backup", { id: "b1", percent: 40 });
    s = applyEvent(s, "batch", { batchId: "n1", total: 3 });
    expect(s.counts?.counts.pending).toBe(1);
    expect(s.services.email?.state).toBe("failed");
    expect(s.backups.b1?.percent).toBe(40);
    expect(s.batches.n1?.total).toBe(3);
  });

  it("ignores malformed and unknown messages", () => {
    const s = emptyState();
    expect(applyEvent(s, "counts", { nope: 1 })).toBe(s);
    expect(applyEvent(s, "service", "text")).toBe(s);
    expect(applyEvent(s, "other", { id: "x" })).toBe(s);
  });

  it("keeps alerts newest first, one copy each when a reconnect replays them, and at most 50", () => {
    let s = emptyState();
    s = applyEvent(s, "alert", alert("a1", "2026-12-01T10:00:00Z"));
    s = applyEvent(s, "alert", alert("a2", "2026-12-01T11:00:00Z"));
    s = applyEvent(s, "alert", alert("a1", "2026-12-01T10:00:00Z"));
    expect(s.alerts.map((a) => a.id)).toEqual(["a2", "a1"]);
    for (let i = 0; i < 60; i++)
      s = applyEvent(s, "alert", alert(`x${i}`, `2026-12-02T00:00:${String(i).padStart(2, "0")}Z`));
    expect(s.alerts).toHaveLength(MAX_ALERTS);
    expect(s.alerts[0]?.id).toBe("x59");
    expect(
      mergeAlerts(
        [alert("a", "2026-01-02T00:00:00Z")],
        [alert("a", "2026-01-02T00:00:00Z"), alert("b", "2026-01-03T00:00:00Z")],
      ).map((a) => a.id),
    ).toEqual(["b", "a"]);
  });
});

describe("the health summary", () => {
  it("is green when every enabled service runs, and counts the disabled", () => {
    const h = summarizeHealth([
      service("email"),
      service("video"),
      service("backup", { enabled: false, state: "disabled" }),
    ]);
    expect(h).toEqual({ level: "ok", headline: "All 2 enabled services running; 1 disabled", problems: [] });
  });

  it("lists failures before warnings", () => {
    const h = summarizeHealth([
      service("email", {
        details: {
          paused: true,
          transport: { kind: "smtp", state: "down", since: null, lastError: null, nextProbeAt: null },
        },
      }),
      service("backup", {
        state: "failed",
        lastError: { message: "disk full", at: "2026-12-01T00:00:00Z" },
        consecutiveFailures: 2,
      }),
    ]);
    expect(h.level).toBe("error");
    expect(h.headline).toBe("4 problems");
    expect(h.problems).toEqual([
      "email: the smtp transport is down",
      "backup has failed: disk full",
      "email is paused",
      "backup: 2 failed runs in a row",
    ]);
  });
});

describe("the lifecycle timeline", () => {
  it("has every day of the window, the quiet ones too, in the reader's zone", () => {
    const days = planDays(
      {
        from: "2026-12-01T12:00:00.000Z",
        to: "2026-12-04T12:00:00.000Z",
        notices: [
          { at: "2026-12-03T02:00:00.000Z", kind: "7day", subject: "project", id: "p1", ownerEmail: "a@x" },
          { at: "2026-12-03T20:00:00.000Z", kind: "expired", subject: "portrait", id: "q1", ownerEmail: "b@x" },
        ],
      },
      { locale: "en-US", timeZone: "America/New_York" },
    );
    expect(days.map((d) => [d.key, d.notices.map((n) => n.id)])).toEqual([
      ["2026-12-01", []],
      ["2026-12-02", ["p1"]],
      ["2026-12-03", ["q1"]],
      ["2026-12-04", []],
    ]);
  });
});
