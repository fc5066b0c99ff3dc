import type { Clock } from "../../core/clock.js";
import type { LiveSource } from "../../http/live-feed.js";
import type { QueueActions } from "./actions/queue-actions.js";

const HOUR_MS = 3_600_000;
const MAX_BATCHES = 50;

/**
 * The batches POSTed to this process in the last hour, whose progress the live stream follows.
 * Kept in memory: finding "recent batches" in the table would read every pending row of a big
 * batch on each refresh; a batch enqueued elsewhere is still shown by GET /batches/:id.
 */
export class RecentBatches {
  private readonly seen = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  add(batchId: string): void {
    this.seen.delete(batchId);
    this.seen.set(batchId, this.clock.now().getTime());
    while (this.seen.size > MAX_BATCHES) this.seen.delete(this.seen.keys().next().value as string);
  }

  ids(): string[] {
    const since = this.clock.now().getTime() - HOUR_MS;
    for (const [id, at] of this.seen) if (at < since) this.seen.delete(id);
    return [...this.seen.keys()];
  }
}

/** GET /events' email messages: `counts` (what GET /emails/stats answers) and one `batch` per recent batch. */
export function emailLiveSources(actions: QueueActions, batches: RecentBatches): LiveSource[] {
  return [
    { name: "email counts", read: async () => [{ type: "counts", key: "email", data: await actions.stats() }] },
    {
      name: "email batches",
      read: async () =>
        Promise.all(
          batches
            .ids()
            .map(async (id) => ({ type: "batch", key: id, data: await actions.batch(id).catch(() => null) })),
        ).then((items) => items.filter((item) => item.data !== null)),
    },
  ];
}
