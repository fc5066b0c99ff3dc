import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Alerter } from "../../src/alerting/alerter.js";
import { webhookChannel } from "../../src/alerting/webhook-channel.js";
import { systemClock } from "../../src/core/clock.js";
import { createLogger } from "../../src/core/logger.js";
import { FakeClock } from "../fakes/fake-clock.js";

const logs: string[] = [];
const logger = createLogger({
  level: "info",
  format: "json",
  secrets: [],
  stream: { write: (l: string) => logs.push(l) },
});
let server: http.Server | undefined;

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  logs.length = 0;
});

/** A real HTTP receiver that answers with the given statuses in turn (then 200). */
async function receiver(statuses: number[]): Promise<{ url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  const created = http.createServer((req, res) => {
    let text = "";
    req.on("data", (d: Buffer) => {
      text += d.toString();
    });
    req.on("end", () => {
      bodies.push(JSON.parse(text));
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  server = created;
  await new Promise<void>((r) => created.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(created.address() as AddressInfo).port}/hook`, bodies };
}

describe("alerting", () => {
  it("POSTs the alert as JSON to the webhook, retrying a 5xx", async () => {
    const hook = await receiver([503]);
    const alerter = new Alerter({
      clock: systemClock,
      logger,
      cooldownMs: 60_000,
      instance: "i-1",
      channels: [webhookChannel({ url: hook.url, clock: systemClock })],
    });
    expect(await alerter.alert("error", "backup-failed", "backup failed: disk full", { kind: "database" })).toBe(true);
    expect(hook.bodies).toHaveLength(2);
    expect(hook.bodies[1]).toMatchObject({
      severity: "error",
      key: "backup-failed",
      message: "backup failed: disk full",
      context: { kind: "database" },
      instance: "i-1",
    });
  });

  it("sends the same key at most once per cool-down, but always logs it", async () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    const alerter = new Alerter({
      clock,
      logger,
      cooldownMs: 3_600_000,
      instance: "i",
      channels: [{ name: "rec", send: async (a) => void sent.push(a.key) }],
    });
    await alerter.alert("error", "k", "one");
    await alerter.alert("error", "k", "two");
    await alerter.alert("error", "other", "three");
    await clock.advance(3_600_000);
    await alerter.alert("error", "k", "four");
    expect(sent).toEqual(["k", "other", "k"]);
    expect(logs.filter((l) => l.includes('"alert":"k"'))).toHaveLength(3);
  });

  it("logs a failing channel and never throws to the caller", async () => {
    const hook = await receiver([500, 500, 500]);
    const delivered: string[] = [];
    const alerter = new Alerter({
      clock: new FakeClock(),
      logger,
      cooldownMs: 0,
      instance: "i",
      channels: [
        webhookChannel({ url: hook.url, clock: { now: () => new Date(), sleep: async () => {} }, attempts: 3 }),
        { name: "broken", send: async () => Promise.reject(new Error("channel down")) },
        { name: "rec", send: async (a) => void delivered.push(a.key) },
      ],
    });
    await expect(alerter.alert("warning", "k", "m")).resolves.toBe(true);
    expect(hook.bodies).toHaveLength(3);
    expect(delivered).toEqual(["k"]);
    expect(logs.filter((l) => l.includes("alert channel failed"))).toHaveLength(2);
  });
});
