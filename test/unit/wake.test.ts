import { describe, expect, it } from "vitest";
import { WakeHub, Wakeup } from "../../src/core/wake.js";
import { FakeClock } from "../fakes/fake-clock.js";

describe("wake-ups", () => {
  it("cuts a wait short, and remembers a notify that came while nobody waited", async () => {
    const clock = new FakeClock();
    const wakeup = new Wakeup();
    const stop = new AbortController().signal;
    let woke = false;
    const waiting = wakeup.wait(clock, 60_000, stop).then(() => {
      woke = true;
    });
    await clock.waitForSleepers(1);
    wakeup.notify();
    await waiting;
    expect(woke).toBe(true);
    wakeup.notify();
    await wakeup.wait(clock, 60_000, stop);
    expect(clock.pendingSleeps).toBe(0);
  });
});

describe("the wake hub", () => {
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it("tells only its own listeners, a turn later, once for the announcements of one turn", async () => {
    // Two hosts in one process: before the hub was the app's, an enqueue in one woke both.
    const mine = new WakeHub();
    const theirs = new WakeHub();
    const told: string[] = [];
    mine.on("email", () => told.push("mine"));
    theirs.on("email", () => told.push("theirs"));
    mine.on("other", () => told.push("other topic"));
    mine.announce("email");
    mine.announce("email");
    expect(told).toEqual([]);
    await turn();
    expect(told).toEqual(["mine"]);
    mine.announce("email");
    await turn();
    expect(told).toEqual(["mine", "mine"]);
  });

  it("stops telling a listener once it unsubscribes", async () => {
    const hub = new WakeHub();
    let told = 0;
    const off = hub.on("email", () => {
      told += 1;
    });
    hub.announce("email");
    await turn();
    off();
    hub.announce("email");
    await turn();
    expect(told).toBe(1);
  });
});
