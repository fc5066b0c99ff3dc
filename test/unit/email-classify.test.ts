import { describe, expect, it } from "vitest";
import { PermanentError, TransientError } from "../../src/core/errors.js";
import { classifySendError, retryDelayMs } from "../../src/services/email/classify.js";
import { FailureWindow, failureRateExceeded } from "../../src/services/email/failure-rate.js";
import type { EmailJob } from "../../src/services/email/job.js";
import { failureOutcome } from "../../src/services/email/outcomes.js";
import { EmailValidationError } from "../../src/services/email/validation-error.js";

const smtp = (responseCode: number, code = "EENVELOPE") =>
  Object.assign(new Error(`${responseCode} reply`), { responseCode, code });
const net = (code: string) => Object.assign(new Error(`socket ${code}`), { code });

describe("send error classification", () => {
  it.each([
    ["a 451 reply", smtp(451, "EMESSAGE"), false, "smtp_4xx", 451],
    ["a 421 greeting", smtp(421, "EPROTOCOL"), false, "smtp_4xx", 421],
    ["a 550 reply", smtp(550), true, "smtp_5xx", 550],
    ["a 554 after DATA", smtp(554, "EMESSAGE"), true, "smtp_5xx", 554],
    ["503 bad sequence (a session problem, not the message)", smtp(503, "EPROTOCOL"), false, "session", 503],
    ["a refused connection", net("ECONNREFUSED"), false, "connection", null],
    ["a dropped connection", net("ECONNECTION"), false, "connection", null],
    ["a socket error", net("ESOCKET"), false, "connection", null],
    ["a timeout", net("ETIMEDOUT"), false, "timeout", null],
    ["a refused login (535)", Object.assign(smtp(535), { code: "EAUTH" }), false, "auth", 535],
    ["a template error", new EmailValidationError("template x needs variable y"), true, "template", null],
    ["a PermanentError", new PermanentError("no", 552), true, "permanent", 552],
    ["a TransientError", new TransientError("later"), false, "transient", null],
    ["anything else", new Error("boom"), false, "other", null],
    ["a thrown string", "weird", false, "other", null],
  ])("%s", (_name, error, permanent, reason, code) => {
    expect(classifySendError(error)).toMatchObject({ permanent, reason, code });
  });

  it("keeps the message on one line, bounded", () => {
    const c = classifySendError(new Error(`line one\nline two ${"x".repeat(2000)}`));
    expect(c.message).not.toContain("\n");
    expect(c.message.length).toBeLessThanOrEqual(1000);
  });
});

describe("retry delays", () => {
  const delays = [1000, 2000, 4000];
  it("follows EMAIL_RETRY_DELAYS, repeating the last, with up to 10% added jitter", () => {
    expect([1, 2, 3, 4, 9].map((a) => retryDelayMs(a, delays, () => 0))).toEqual([1000, 2000, 4000, 4000, 4000]);
    expect(retryDelayMs(1, delays, () => 0.999)).toBe(1100);
    expect(retryDelayMs(2, delays, () => 0.5)).toBe(2100);
  });

  const job = (attempts: number, maxAttempts: number | null = null) => ({ id: "j", attempts, maxAttempts }) as EmailJob;
  const policy = { retryDelaysMs: delays, maxAttempts: 3, random: () => 0 };
  const at = new Date("2026-01-01T00:00:00Z");

  it("retries a transient failure until the job's attempts are spent, then fails it", () => {
    expect(failureOutcome(job(1), smtp(451), at, policy).outcome).toMatchObject({
      kind: "retry",
      runAt: new Date(at.getTime() + 1000),
      code: 451,
    });
    expect(failureOutcome(job(3), smtp(451), at, policy).outcome).toMatchObject({
      kind: "failed",
      error: "gave up after 3 attempts: 451 reply",
    });
    expect(failureOutcome(job(3, 10), smtp(451), at, policy).outcome.kind).toBe("retry");
    expect(failureOutcome(job(1), smtp(550), at, policy).outcome).toMatchObject({ kind: "failed", code: 550 });
  });
});

describe("failure-rate window", () => {
  it("counts the last hour's sends and alerts only past the share with at least 10 sends", () => {
    const w = new FailureWindow();
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    for (let i = 0; i < 9; i += 1) w.record(new Date(t0 + i * 1000), true);
    expect(failureRateExceeded(w.lastHour(new Date(t0 + 10_000)), 0.1)).toBe(false);
    w.record(new Date(t0 + 10_000), false);
    expect(w.lastHour(new Date(t0 + 10_000))).toEqual({ sends: 10, failures: 9 });
    expect(failureRateExceeded(w.lastHour(new Date(t0 + 10_000)), 0.1)).toBe(true);
    expect(failureRateExceeded(w.lastHour(new Date(t0 + 10_000)), 0.9)).toBe(false);
    expect(w.lastHour(new Date(t0 + 61 * 60_000))).toEqual({ sends: 0, failures: 0 });
  });
});
