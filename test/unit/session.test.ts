import { describe, expect, it } from "vitest";
import { Sessions } from "../../src/http/session.js";
import { FakeClock } from "../fakes/fake-clock.js";

const TOKEN = "unit-admin-token-0123456789";

describe("Sessions", () => {
  const cookieOf = (value: string) => ({ cookie: `other=1; steward_session=${value}; theme=dark` });

  it("accepts its own cookie until it expires, with the same CSRF token it issued", () => {
    const clock = new FakeClock("2026-01-05T00:00:00Z");
    const sessions = new Sessions(TOKEN, clock, 3600_000);
    const issued = sessions.issue();
    expect(sessions.read(cookieOf(issued.value))).toEqual({ csrf: issued.csrf, expiresAt: issued.expiresAt });
    expect(sessions.setCookie(issued, false)).toBe(
      `steward_session=${issued.value}; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict`,
    );
    expect(sessions.setCookie(issued, true)).toMatch(/; Secure$/);
    clock.set("2026-01-05T00:59:59Z");
    expect(sessions.read(cookieOf(issued.value))).toBeDefined();
    clock.set("2026-01-05T01:00:00Z");
    expect(sessions.read(cookieOf(issued.value))).toBeUndefined();
  });

  it("refuses a cookie signed under another token, a changed expiry, and garbage", () => {
    const clock = new FakeClock();
    const issued = new Sessions(TOKEN, clock).issue();
    expect(new Sessions(`${TOKEN}-rotated`, clock).read(cookieOf(issued.value))).toBeUndefined();
    const [id, expiry, mac] = issued.value.split(".");
    const sessions = new Sessions(TOKEN, clock);
    expect(sessions.read(cookieOf(`${id}.${Number(expiry) + 1}.${mac}`))).toBeUndefined();
    for (const value of ["", "a.b", "a.b.c.d", "x.y.z"]) expect(sessions.read(cookieOf(value))).toBeUndefined();
    expect(sessions.read({})).toBeUndefined();
  });

  it("matches the CSRF header only to its own session", () => {
    const sessions = new Sessions(TOKEN, new FakeClock());
    const a = sessions.issue();
    const b = sessions.issue();
    expect(a.csrf).not.toBe(b.csrf);
    const session = sessions.read(cookieOf(a.value));
    if (!session) throw new Error("no session");
    expect(sessions.csrfMatches({ "x-steward-csrf": a.csrf }, session)).toBe(true);
    expect(sessions.csrfMatches({ "x-steward-csrf": b.csrf }, session)).toBe(false);
    expect(sessions.csrfMatches({}, session)).toBe(false);
  });
});
