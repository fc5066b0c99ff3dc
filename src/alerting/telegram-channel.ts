import type { Clock } from "../core/clock.js";
import type { Alert, AlertChannel } from "./alerter.js";

export interface TelegramOptions {
  /** The bot's token from BotFather (`123456:ABC...`); it is part of every request's path. */
  token: string;
  /** Chats (numeric ids, or @channel names) the alert goes to. */
  chatIds: readonly string[];
  /** The Bot API's base URL: https://api.telegram.org, or a local stand-in in tests. */
  apiUrl: string;
  clock: Clock;
  timeoutMs?: number;
  attempts?: number;
  /** Injected so tests can stand in for the network where they cannot provoke a failure. */
  fetchImpl?: typeof fetch;
}

/** Telegram refuses a message longer than this many characters. */
export const TELEGRAM_TEXT_LIMIT = 4096;
/** A 429's retry_after longer than this is not waited for: the alert fails, the log keeps it. */
const MAX_RETRY_AFTER_S = 30;

/**
 * Sends the alert with the Bot API's sendMessage to every configured chat, as plain text: no
 * parse_mode, so a message that quotes user data (an address, a file name) cannot break
 * Markdown or HTML parsing and get the whole alert refused. Retries like the webhook: a few
 * attempts with a doubling pause; a 429 waits what Telegram asks (`retry_after`); another 4xx
 * (bad token, unknown chat) will not get better and is not retried. The token is in the URL's
 * path, so every error that leaves here has it cut out.
 */
export function telegramChannel(options: TelegramOptions): AlertChannel {
  const attempts = options.attempts ?? 3;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const doFetch = options.fetchImpl ?? fetch;
  const endpoint = `${options.apiUrl.replace(/\/+$/, "")}/bot${options.token}/sendMessage`;
  const scrub = (text: string) => text.split(options.token).join("[redacted]");

  async function sendTo(chatId: string, text: string): Promise<void> {
    let lastError = "no attempt made";
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      let pauseMs = 500 * 2 ** (attempt - 1);
      try {
        const response = await doFetch(endpoint, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ chat_id: chatId, text, disable_web_page_preview: true }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (response.ok) return;
        const answer = await readAnswer(response);
        lastError = `telegram answered ${response.status}${answer.description ? `: ${answer.description}` : ""}`;
        if (response.status === 429) {
          const retryAfter = answer.retryAfter ?? 1;
          if (retryAfter > MAX_RETRY_AFTER_S) break;
          pauseMs = retryAfter * 1000;
        } else if (response.status >= 400 && response.status < 500) {
          break;
        }
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      if (attempt < attempts) await options.clock.sleep(pauseMs);
    }
    throw new Error(scrub(`telegram chat ${chatId}: ${lastError}`));
  }

  return {
    name: "telegram",
    async send(alert: Alert) {
      const text = alertText(alert);
      const failures: string[] = [];
      // Every chat gets its try even when one fails (a removed chat must not silence the rest).
      for (const chatId of options.chatIds) {
        try {
          await sendTo(chatId, text);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
      if (failures.length > 0) throw new Error(failures.join("; "));
    },
  };
}

/** The alert as a short plain-text message, cut to Telegram's limit. */
export function alertText(alert: Alert): string {
  const lines = [`[${alert.severity.toUpperCase()}] ${alert.key}`, alert.message];
  const context = Object.entries(alert.context);
  if (context.length > 0) {
    lines.push(
      context.map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`).join("\n"),
    );
  }
  lines.push(`${alert.instance} at ${alert.at}`);
  const text = lines.join("\n");
  return text.length <= TELEGRAM_TEXT_LIMIT ? text : `${text.slice(0, TELEGRAM_TEXT_LIMIT - 1)}…`;
}

async function readAnswer(response: Response): Promise<{ description?: string; retryAfter?: number }> {
  try {
    const body = (await response.json()) as { description?: unknown; parameters?: { retry_after?: unknown } };
    return {
      description: typeof body.description === "string" ? body.description.slice(0, 200) : undefined,
      retryAfter: typeof body.parameters?.retry_after === "number" ? body.parameters.retry_after : undefined,
    };
  } catch {
    return {};
  }
}
