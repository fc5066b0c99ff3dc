import { describe, expect, it } from "vitest";
import { EventHub } from "../../src/core/events.js";

interface Events {
  ran: { service: string };
  ticked: { job: string };
}

describe("the event hub", () => {
  it("tells each listener of its event, in order, until it unsubscribes", () => {
    const hub = new EventHub<Events>();
    const heard: string[] = [];
    const off = hub.on("ran", (e) => heard.push(`a:${e.service}`));
    hub.on("ran", (e) => heard.push(`b:${e.service}`));
    hub.on("ticked", (e) => heard.push(`tick:${e.job}`));
    hub.emit("ran", { service: "email" });
    off();
    hub.emit("ran", { service: "video" });
    expect(heard).toEqual(["a:email", "b:email", "b:video"]);
  });

  it("says whether anyone listens, so a hot path builds no event for nobody", () => {
    const hub = new EventHub<Events>();
    expect(hub.listening("ran")).toBe(false);
    const off = hub.on("ran", () => {});
    expect(hub.listening("ran")).toBe(true);
    expect(hub.listening("ticked")).toBe(false);
    off();
    expect(hub.listening("ran")).toBe(false);
  });

  it("keeps a listener's failure from the emitter and from the other listeners", () => {
    const hub = new EventHub<Events>();
    const heard: string[] = [];
    hub.on("ran", () => {
      throw new Error("listener broke");
    });
    hub.on("ran", (e) => heard.push(e.service));
    expect(() => hub.emit("ran", { service: "backup" })).not.toThrow();
    expect(heard).toEqual(["backup"]);
  });
});
