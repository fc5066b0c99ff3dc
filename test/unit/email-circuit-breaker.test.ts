import { describe, expect, it } from "vitest";
import { CircuitBreaker, type TransportHealth } from "../../src/services/email/send/circuit-breaker.js";
import { FakeClock } from "../fakes/fake-clock.js";

const refused = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:25"), { code: "ESOCKET" });

function breaker(probe: () => Promise<void>) {
  const clock = new FakeClock("2026-01-01T00:00:00Z");
  const changes: TransportHealth[] = [];
  const b = new CircuitBreaker({ clock, probe, onChange: (h) => changes.push(h) });
  return { b, clock, changes };
}

describe("the transport circuit breaker", () => {
  it("opens after three transport failures in a row, dated from the first; an answer in between resets the count", () => {
    const { b, clock, changes } = breaker(async () => {});
    expect(b.failed("one")).toBe(false);
    b.succeeded();
    const first = clock.now();
    expect(b.failed("one")).toBe(false);
    clock.set("2026-01-01T00:00:01Z");
    expect(b.failed("two")).toBe(false);
    expect(b.isOpen).toBe(false);
    expect(b.failed("three")).toBe(true);
    expect(b.isOpen).toBe(true);
    expect(b.health()).toEqual({
      state: "down",
      since: first,
      lastError: "three",
      nextProbeAt: new Date(clock.now().getTime() + 2_000),
    });
    // Failures of sends still in flight do not reopen or re-announce it.
    expect(b.failed("four")).toBe(false);
    expect(changes.map((c) => c.state)).toEqual(["down"]);
  });

  it("probes with a wait doubling from 2 s up to 60 s, and closes when the server answers", async () => {
    let up = false;
    const { b, clock, changes } = breaker(async () => {
      if (!up) throw refused();
    });
    for (let i = 0; i < 3; i += 1) b.failed("refused");
    const waits: number[] = [];
    for (let probe = 0; probe < 7; probe += 1) {
      const due = (b.health().nextProbeAt as Date).getTime() - clock.now().getTime();
      waits.push(due);
      expect(await b.runOnce()).toBe("down");
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
    expect(b.health().lastError).toBe("connect ECONNREFUSED 127.0.0.1:25");
    up = true;
    expect(await b.runOnce()).toBe("up");
    expect(b.health()).toMatchObject({ state: "up", since: null, nextProbeAt: null });
    // The last error stays on record after recovery.
    expect(b.health().lastError).toBe("connect ECONNREFUSED 127.0.0.1:25");
    expect(changes.at(-1)?.state).toBe("up");
    // Closed: the next outage starts the backoff afresh.
    for (let i = 0; i < 3; i += 1) b.failed("refused again");
    expect((b.health().nextProbeAt as Date).getTime() - clock.now().getTime()).toBe(2_000);
  });

  it("waits out the backoff on the clock before probing, and a send that got through ends the wait", async () => {
    let probes = 0;
    const { b, clock } = breaker(async () => {
      probes += 1;
      throw refused();
    });
    for (let i = 0; i < 3; i += 1) b.failed("refused");
    const stop = new AbortController();
    const waiting = b.probeWhenDue(stop.signal);
    await clock.advance(1_999);
    expect(probes).toBe(0);
    await clock.advance(1);
    expect(await waiting).toBe("down");
    expect(probes).toBe(1);
    const again = b.probeWhenDue(stop.signal);
    await clock.waitForSleepers(1);
    b.succeeded();
    expect(await again).toBe("up");
    expect(probes).toBe(1);
  });

  it("gives no verdict on a probe cut short by stop", async () => {
    const { b } = breaker(() => new Promise(() => {}));
    for (let i = 0; i < 3; i += 1) b.failed("refused");
    const stop = new AbortController();
    const probing = b.runOnce(stop.signal);
    stop.abort();
    expect(await probing).toBe("down");
    expect(b.health().lastError).toBe("refused");
  });

  it("closes at the first probe when the transport has no server to probe", async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ clock });
    for (let i = 0; i < 3; i += 1) b.failed("x");
    expect(await b.runOnce()).toBe("up");
  });
});
