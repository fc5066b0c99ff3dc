import { randomFillSync } from "node:crypto";

let lastMs = -1;
let sequence = 0;
/** The id's first 13 hex digits and dash for `lastMs`, computed once per millisecond. */
let msPrefix = "";

/**
 * Randomness drawn in blocks: one crypto call per 512 ids instead of one per id (a bulk
 * enqueue makes thousands of ids per millisecond, and the call dominated their cost).
 */
const POOL = Buffer.alloc(8 * 512);
let poolAt = POOL.length;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function random8(): number {
  if (poolAt >= POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += 8;
  return at;
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of millisecond time, a 12-bit sequence, then randomness, so
 * ids sort by creation time and index well. Ids made in the same millisecond (a bulk enqueue)
 * take consecutive sequence numbers (RFC 9562 method 1), so they too arrive in order instead
 * of scattering over the index. Node 20 has only v4 built in.
 */
export function uuidv7(now: Date = new Date()): string {
  let ms = now.getTime();
  // Same millisecond, or one we are still borrowing ahead of: keep counting. (A clock far
  // behind, like a test's fake one, starts afresh.)
  if (ms <= lastMs && lastMs - ms < 1_000) {
    sequence += 1;
    if (sequence > 0xfff) {
      // 4,096 ids in one millisecond: borrow the next one rather than repeat an order.
      lastMs += 1;
      sequence = 0;
      msPrefix = prefixOf(lastMs);
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    msPrefix = prefixOf(ms);
    // Start low in the range, leaving room to count up within the millisecond.
    sequence = POOL[random8()] as number;
  }
  const r = random8();
  const b = (i: number) => HEX[POOL[r + i] as number] as string;
  // Version 7 and the sequence, then the variant (10) over 62 random bits.
  return (
    `${msPrefix}7${(sequence >> 8).toString(16)}${HEX[sequence & 0xff]}-` +
    `${HEX[((POOL[r] as number) & 0x3f) | 0x80]}${b(1)}-${b(2)}${b(3)}${b(4)}${b(5)}${b(6)}${b(7)}`
  );
}

/** `xxxxxxxx-xxxx-` for a millisecond: 48 bits of time as 12 hex digits. */
function prefixOf(ms: number): string {
  const hex = ms.toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-`;
}
