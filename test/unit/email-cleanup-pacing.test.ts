import { describe, expect, it } from "vitest";
import { MAX_WAL_PAUSE_MS, WalPacer } from "../../src/services/email/store/cleanup.js";

/** Batches of `batchMs` each writing `bytes` of WAL, each followed by the pause it owes: the pauses, and the WAL and the clock at the end. */
function run(pacer: WalPacer, batches: number, batchMs: number, bytes: number) {
  const pauses: number[] = [];
  let at = 0n;
  let now = 0;
  for (let i = 0; i < batches; i += 1) {
    now += batchMs;
    at += BigInt(bytes);
    const pause = Math.max(batchMs, pacer.after(at, now));
    pauses.push(pause);
    now += pause;
  }
  return { pauses, at, now };
}

describe("the email cleanup's WAL pacing", () => {
  it("holds the WAL to its rate over many batches, a pause counted once", () => {
    // 100 kB a batch at 1 MB/s is 100 ms a batch: 10 ms of DELETE, then some 90 ms of pause.
    const { pauses, at, now } = run(new WalPacer(1_000_000), 50, 10, 100_000);
    // The first batch has no WAL position before it; the second's WAL is paid partly by the
    // first pause, and from then on each pause is 90 ms. Counting the last pause again against
    // the next batch would make them alternate, long and short.
    expect(pauses.slice(0, 3)).toEqual([10, 80, 90]);
    expect(pauses.slice(2)).toEqual(pauses.slice(2).map(() => 90));
    // From the first batch's end to the last pause's: the WAL of the 49 batches after the first, at the rate.
    const seconds = (now - 10) / 1000;
    expect(Number(at - 100_000n) / seconds).toBeCloseTo(1_000_000, -3);
  });

  it("lets the batch's own time pace it when the WAL is light, and never pauses past the bound", () => {
    expect(run(new WalPacer(1_000_000), 5, 10, 1_000).pauses).toEqual([10, 10, 10, 10, 10]);
    expect(run(new WalPacer(1_000), 5, 10, 1_000_000).pauses).toEqual([10, ...Array(4).fill(MAX_WAL_PAUSE_MS)]);
  });
});
