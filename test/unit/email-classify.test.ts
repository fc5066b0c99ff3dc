import { describe, expect, it } from "vitest";
import { PermanentError, TransientError } from "../../src/core/errors.js";
import { EmailValidationError } from "../../src/services/email/enqueue/validation-error.js";
import { FailureWindow, failureRateExceeded } from "../../src/services/email/failure-rate.js";
import { classifySendError, retryDelayMs } from "../../src/services/email/send/classify.js";
import { FREE_TRANSPORT_FAILURES, failureOutcome, sentOutcome } from "../../src/services/email/send/outcomes.js";
import type { EmailJob } from "../../src/services/email/store/job.js";

const smtp = (responseCode: number, code = "EENVELOPE") =>
  Object.assign(new Error(`${responseCode} reply`), { responseCode, code });
const net = (code: string) => Object.assign(new Error(`socket ${code}`), { code });

describe("send error classification", () => {
  const greeting = (code: number) =>
    Object.assign(new Error(`Invalid greeting. response=${code} no`), {
      responseCode: code,
      code: "EPROTOCOL",
      command: "CONN",
    });
  it.each([
    // The 4xx family, at any command of the message: the message may pass next time (attempt spent).
    ["a 421 to DATA", smtp(421, "EMESSAGE"), false, false, "smtp_4xx", 421],
    ["a 450 reply", smtp(450), false, false, "smtp_4xx", 450],
    ["a 451 reply", smtp(451, "EMESSAGE"), false, false, "smtp_4xx", 451],
    ["a 452 reply", smtp(452), false, false, "smtp_4xx", 452],
    ["a 499 reply", smtp(499), false, false, "smtp_4xx", 499],
    // The 5xx family fails the job, from the lowest code to the highest.
    ["a 500 reply", smtp(500), true, false, "smtp_5xx", 500],
    ["a 550 reply", smtp(550), true, false, "smtp_5xx", 550],
    ["a 552 reply", smtp(552, "EMESSAGE"), true, false, "smtp_5xx", 552],
    ["a 554 after DATA", smtp(554, "EMESSAGE"), true, false, "smtp_5xx", 554],
    ["a 599 reply", smtp(599), true, false, "smtp_5xx", 599],
    // ...except 503, the session's state: retried, on a fresh connection, with the attempt spent.
    ["503 bad sequence (a session problem, not the message)", smtp(503, "EPROTOCOL"), false, false, "session", 503],
    // Transport failures: no attempt spent, the circuit breaker counts them.
    ["a 421 greeting", greeting(421), false, true, "greeting", 421],
    ["a 554 greeting (no service for us)", greeting(554), false, true, "greeting", 554],
    ["a 421 to EHLO", Object.assign(smtp(421, "ECONNECTION"), { command: "EHLO" }), false, true, "greeting", 421],
    ["a refused connection", Object.assign(net("ESOCKET"), { command: "CONN" }), false, true, "connection", null],
    ["a dropped connection", net("ECONNECTION"), false, true, "connection", null],
    ["a reset connection", net("ECONNRESET"), false, true, "connection", null],
    ["a timeout", net("ETIMEDOUT"), false, true, "timeout", null],
    ["a TLS failure", net("ETLS"), false, true, "tls", null],
    ["a refused login (535)", Object.assign(smtp(535), { code: "EAUTH" }), false, true, "auth", 535],
    ["a login the server does not offer", net("ENOAUTH"), false, true, "auth", null],
    ["a template error", new EmailValidationError("template x needs variable y"), true, false, "template", null],
    ["a PermanentError", new PermanentError("no", 552), true, false, "permanent", 552],
    ["a TransientError", new TransientError("later"), false, false, "transient", null],
    ["anything else", new Error("boom"), false, false, "other", null],
    ["a thrown string", "weird", false, false, "other", null],
  ])("%s", (_name, error, permanent, transport, reason, code) => {
    expect(classifySendError(error)).toMatchObject({ permanent, transport, reason, code });
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

  const created = new Date("2026-01-01T00:00:00Z");
  const job = (attempts: number, maxAttempts: number | null = null, over: Partial<EmailJob> = {}) =>
    ({
      id: "j",
      attempts,
      maxAttempts,
      transportFailures: 0,
      recipients: null,
      createdAt: created,
      ...over,
    }) as EmailJob;
  const policy = { retryDelaysMs: delays, maxAttempts: 3, maxAgeMs: 0, random: () => 0 };
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

  it("gives up once the next attempt would fall past EMAIL_RETRY_MAX_AGE, whatever attempts are left", () => {
    const aged = { ...policy, maxAttempts: 100, maxAgeMs: 60_000 };
    const later = (ms: number) => new Date(created.getTime() + ms);
    // Next attempt at 59 s + 1 s = 60 s: inside the bound.
    expect(failureOutcome(job(1), smtp(451), later(59_000), aged).outcome.kind).toBe("retry");
    const past = failureOutcome(job(1), smtp(451), later(59_001), aged).outcome;
    expect(past).toMatchObject({ kind: "failed", code: 451 });
    expect(past.kind === "failed" && past.error).toBe(
      "gave up after 1 attempt: the next would be past EMAIL_RETRY_MAX_AGE (60 s): 451 reply",
    );
    // 0 is no time bound.
    expect(failureOutcome(job(1), smtp(451), later(86_400_000), policy).outcome.kind).toBe("retry");
  });

  it("gives a transport failure back without spending the attempt, up to FREE_TRANSPORT_FAILURES", () => {
    const refused = Object.assign(net("ESOCKET"), { command: "CONN" });
    // Even on its last attempt: the server being down is not the message's fault.
    expect(failureOutcome(job(3), refused, at, policy).outcome).toEqual({
      kind: "requeue",
      id: "j",
      at,
      error: "socket ESOCKET",
      code: null,
      transportFailure: true,
    });
    // A message that breaks the connection every time is counted like any temporary failure.
    const worn = job(1, null, { transportFailures: FREE_TRANSPORT_FAILURES });
    expect(failureOutcome(worn, refused, at, policy).outcome).toMatchObject({
      kind: "retry",
      error: `socket ESOCKET (its sends failed in the transport ${FREE_TRANSPORT_FAILURES} times)`,
    });
  });
});

describe("per-recipient outcomes", () => {
  const created = new Date("2026-01-01T00:00:00Z");
  const policy = { retryDelaysMs: [1000], maxAttempts: 3, maxAgeMs: 0, random: () => 0 };
  const job = (attempts: number, recipients: EmailJob["recipients"] = null) =>
    ({ id: "j", attempts, maxAttempts: null, transportFailures: 0, recipients, createdAt: created }) as EmailJob;
  const refusal = (address: string, code: number) => ({ address, code, reply: `${code} ${address} said no` });

  it("retries the 4xx recipients alone, lists the 5xx ones, and sends once none is pending", () => {
    const first = sentOutcome(
      job(1),
      { accepted: ["ok@x.test"], refusals: [refusal("flaky@x.test", 451), refusal("gone@x.test", 550)] },
      created,
      policy,
    );
    expect(first).toMatchObject({ kind: "retry", code: 451, runAt: new Date(created.getTime() + 1000) });
    expect(first.kind === "retry" && first.error).toBe(
      "1 recipient(s) refused for now, to be retried alone: flaky@x.test: 451 flaky@x.test said no",
    );
    const state = first.kind === "retry" ? first.recipients : null;
    expect(state).toEqual({
      delivered: ["ok@x.test"],
      pending: [refusal("flaky@x.test", 451)],
      refused: [refusal("gone@x.test", 550)],
    });
    const second = sentOutcome(job(2, state), { accepted: ["flaky@x.test"], refusals: [] }, created, policy);
    expect(second).toMatchObject({
      kind: "sent",
      rejected: ["gone@x.test"],
      code: 550,
      recipients: { delivered: ["ok@x.test", "flaky@x.test"], pending: [], refused: [refusal("gone@x.test", 550)] },
    });
  });

  it("turns a recipient still refused for now into refused once the attempts are spent", () => {
    const state = { delivered: ["ok@x.test"], pending: [refusal("flaky@x.test", 451)], refused: [] };
    const error = Object.assign(new Error("Can't send mail - all recipients were rejected"), {
      code: "EENVELOPE",
      responseCode: 451,
      rejectedErrors: [{ recipient: "flaky@x.test", responseCode: 451, response: "451 still no" }],
    });
    const { outcome } = failureOutcome(job(3, state), error, created, policy);
    expect(outcome).toMatchObject({ kind: "sent", rejected: ["flaky@x.test"], code: 451 });
    expect(outcome.kind === "sent" && outcome.recipients?.refused).toEqual([
      { address: "flaky@x.test", code: 451, reply: "gave up after 3 attempts: 451 still no" },
    ]);
  });

  it("fails a job no recipient took, naming each refusal", () => {
    const error = Object.assign(new Error("Can't send mail - all recipients were rejected"), {
      code: "EENVELOPE",
      responseCode: 550,
      rejectedErrors: [
        { recipient: "a@x.test", responseCode: 550, response: "550 no a" },
        { recipient: "b@x.test", responseCode: 553, response: "553 no b" },
      ],
    });
    const { outcome } = failureOutcome(job(1), error, created, policy);
    expect(outcome).toMatchObject({ kind: "failed", code: 550 });
    expect(outcome.kind === "failed" && outcome.error).toBe(
      "every recipient was refused: a@x.test: 550 no a; b@x.test: 553 no b",
    );
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
