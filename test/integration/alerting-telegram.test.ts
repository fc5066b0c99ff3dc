import { afterEach, describe, expect, it } from "vitest";
import { Alerter } from "../../src/alerting/alerter.js";
import { alertText, TELEGRAM_TEXT_LIMIT, telegramChannel } from "../../src/alerting/telegram-channel.js";
import { systemClock } from "../../src/core/clock.js";
import { createLogger } from "../../src/core/logger.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { fakeTelegramBotApi } from "../fakes/telegram-bot-api.js";

const TOKEN = "123456789:AAFakeTokenForTests_abcdefghijkl";
const logs: string[] = [];
const logger = createLogger({
  level: "info",
  format: "json",
  secrets: [TOKEN],
  stream: { write: (l: string) => logs.push(l) },
});
let closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers) await close();
  closers = [];
  logs.length = 0;
});

async function bot() {
  const api = await fakeTelegramBotApi(TOKEN);
  closers.push(api.close);
  return api;
}

function alerter(channel: ReturnType<typeof telegramChannel>, clock = systemClock) {
  return new Alerter({ clock, logger, cooldownMs: 60_000, instance: "i-1", channels: [channel] });
}

describe("telegram alerts", () => {
  it("sends each alert as plain text to every chat, once per cool-down", async () => {
    const api = await bot();
    const a = alerter(
      telegramChannel({ token: TOKEN, chatIds: ["-1001", "@ops_room"], apiUrl: api.url, clock: systemClock }),
    );
    expect(await a.alert("error", "backup-failed", "backup failed: <b>disk</b> full", { kind: "database" })).toBe(true);
    expect(await a.alert("error", "backup-failed", "again")).toBe(false);
    expect(api.sent.map((m) => m.chatId)).toEqual(["-1001", "@ops_room"]);
    const [first] = api.sent;
    // No parse_mode: a stored value with markup is shown as it is and cannot get the alert refused.
    expect(first?.parseMode).toBeUndefined();
    expect(first?.text).toContain("[ERROR] backup-failed");
    expect(first?.text).toContain("backup failed: <b>disk</b> full");
    expect(first?.text).toContain("kind: database");
  });

  it("waits the retry_after a 429 asks for, then delivers", async () => {
    const api = await bot();
    api.script.push({ status: 429, description: "Too Many Requests: retry after 7", retryAfter: 7 });
    const clock = new FakeClock(new Date("2026-12-01T12:00:00Z"));
    const channel = telegramChannel({ token: TOKEN, chatIds: ["42"], apiUrl: api.url, clock });
    const sending = channel.send({
      id: "a1",
      severity: "warning",
      key: "k",
      message: "m",
      context: {},
      at: "t",
      instance: "i",
    });
    // The first answer is a 429: the channel sleeps 7 s on the injected clock before its second try.
    await clock.waitForSleepers(1);
    await clock.advance(6_999);
    expect(api.sent).toHaveLength(0);
    await clock.advance(1);
    await sending;
    expect(api.sent).toHaveLength(1);
    expect(api.requests).toBe(2);
  });

  it("does not retry a refusal that will not change, and keeps the token out of the error and the log", async () => {
    const api = await bot();
    api.script.push({ status: 400, description: "Bad Request: chat not found" });
    const a = alerter(telegramChannel({ token: TOKEN, chatIds: ["999"], apiUrl: api.url, clock: systemClock }));
    await a.alert("critical", "smtp-down", "SMTP down");
    expect(api.requests).toBe(1);
    const log = logs.join("\n");
    expect(log).toContain("chat not found");
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain("AAFakeTokenForTests");
  });

  it("cuts the error of an unreachable API free of the token", async () => {
    const channel = telegramChannel({
      token: TOKEN,
      chatIds: ["1"],
      apiUrl: "http://127.0.0.1:1",
      clock: new FakeClock(new Date()),
      attempts: 1,
    });
    const error = await channel
      .send({ id: "a1", severity: "info", key: "k", message: "m", context: {}, at: "t", instance: "i" })
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain("telegram chat 1");
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it("keeps a long alert within Telegram's limit", () => {
    const text = alertText({
      id: "a1",
      severity: "info",
      key: "k",
      message: "x".repeat(10_000),
      context: {},
      at: "t",
      instance: "i",
    });
    expect(text.length).toBe(TELEGRAM_TEXT_LIMIT);
  });
});
