import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/core/logger.js";
import { OutcomeWriter } from "../../src/services/email/send/outcome-writer.js";
import type { EmailStore, Outcome } from "../../src/services/email/store.js";

const sent = (id: number): Outcome => ({
  kind: "sent",
  id: String(id),
  at: new Date(0),
  note: "250 ok",
  code: 250,
  rejected: [],
  recipients: null,
});

/** A store whose settle waits until let go, counting what each write was given. */
function heldStore() {
  const writes: number[] = [];
  let release: () => void = () => {};
  const store = {
    settle: async (_holder: string, outcomes: readonly Outcome[]) => {
      writes.push(outcomes.length);
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return outcomes.length;
    },
  } as unknown as EmailStore;
  return { store, writes, release: () => release() };
}

describe("OutcomeWriter.behind", () => {
  it("allows a batch being written and one filling, a batch being a claim's worth or 200", async () => {
    const { store, writes, release } = heldStore();
    const logger = createLogger({ level: "silent", format: "json", secrets: [] });
    const writer = new OutcomeWriter({ store, holder: "h", logger });
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    // The 200th outcome starts a write, which takes every outcome waiting when it runs.
    for (let i = 0; i < 510; i += 1) writer.add(sent(i));
    await turn();
    expect(writes).toEqual([510]);
    for (let i = 510; i < 1_020; i += 1) writer.add(sent(i));
    // 1,020 unrecorded: within two claims of 510, past two batches of 200.
    expect(writer.behind(510)).toBe(0);
    expect(writer.behind(0)).toBe(1_020 - 400);
    writer.add(sent(1_020));
    expect(writer.behind(510)).toBe(1);
    // The first write recorded, the next takes the 511 waiting.
    release();
    await turn();
    expect(writes).toEqual([510, 511]);
    expect(writer.pending).toBe(0);
    expect(writer.behind(510)).toBe(0);
    expect(writer.behind(100)).toBe(111);
    writer.close();
    release();
  });
});
