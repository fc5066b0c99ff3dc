import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/core/logger.js";
import { LiveFeed } from "../../src/http/live-feed.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { advanceBy, waitFor } from "../helpers/wait.js";

/** Just what the feed uses of a response: writes kept as SSE messages, and a close to fire. */
class FakeResponse extends EventEmitter {
  text = "";
  destroyed = false;
  writableLength = 0;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  end(): void {
    this.destroyed = true;
  }
  leave(): void {
    this.emit("close");
  }
  get messages(): Array<{ type: string; data: unknown }> {
    return [...this.text.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => ({
      type: m[1] as string,
      data: JSON.parse(m[2] as string),
    }));
  }
}

const logger = createLogger({ level: "silent", format: "json", secrets: [] });

function connect(feed: LiveFeed): FakeResponse {
  const res = new FakeResponse();
  const reply = feed.route().handler({} as never) as { stream(res: ServerResponse): void };
  reply.stream(res as unknown as ServerResponse);
  return res;
}

describe("LiveFeed", () => {
  it("sends a newcomer the state first, then only what changed, and stops reading when nobody listens", async () => {
    const clock = new FakeClock();
    let count = 1;
    let reads = 0;
    const feed = new LiveFeed({ clock, logger, everyMs: 2_000 }).addSource({
      name: "counts",
      read: () => {
        reads += 1;
        return [{ type: "counts", key: "email", data: { pending: count } }];
      },
    });
    feed.publish({ type: "backup", key: "b1", data: { id: "b1", percent: 40 } });
    const a = connect(feed);
    await waitFor(() => a.messages.length === 2);
    expect(a.text.startsWith("retry: 2000\n\n")).toBe(true);
    expect(a.messages).toEqual([
      { type: "counts", data: { pending: 1 } },
      { type: "backup", data: { id: "b1", percent: 40 } },
    ]);

    await advanceBy(clock, 4_000, { stepMs: 2_000 });
    expect(a.messages).toHaveLength(2);
    count = 2;
    await advanceBy(clock, 2_000, { stepMs: 2_000 });
    await waitFor(() => a.messages.length === 3);
    expect(a.messages[2]).toEqual({ type: "counts", data: { pending: 2 } });

    feed.publish({ type: "backup", key: "b1", data: { id: "b1", percent: 100 } });
    const b = connect(feed);
    await waitFor(() => b.messages.length === 2);
    // The newcomer gets the latest of each key, not the history.
    expect(b.messages).toEqual([
      { type: "counts", data: { pending: 2 } },
      { type: "backup", data: { id: "b1", percent: 100 } },
    ]);

    a.leave();
    b.leave();
    const before = reads;
    await advanceBy(clock, 10_000, { stepMs: 2_000 });
    expect(reads).toBe(before);
    feed.close();
  });

  it("forgets published messages after keepMs, and ends every stream on close", async () => {
    const clock = new FakeClock();
    const feed = new LiveFeed({ clock, logger, keepMs: 60_000 });
    feed.publish({ type: "alert", key: "a1", data: { id: "a1" } });
    clock.set(new Date(clock.now().getTime() + 61_000));
    const res = connect(feed);
    await waitFor(() => res.text.length > 0);
    expect(res.messages).toEqual([]);
    feed.close();
    expect(res.destroyed).toBe(true);
    const late = connect(feed);
    await waitFor(() => late.destroyed);
  });
});
