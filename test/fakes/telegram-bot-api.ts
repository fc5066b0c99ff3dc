import http from "node:http";
import type { AddressInfo } from "node:net";

export interface SentMessage {
  token: string;
  chatId: string;
  text: string;
  parseMode: unknown;
}

/** A scripted answer for the next sendMessage: a status and the Bot API's error body. */
export interface ScriptedAnswer {
  status: number;
  description?: string;
  retryAfter?: number;
}

/**
 * A local stand-in for the Telegram Bot API on loopback: it accepts `POST /bot<token>/sendMessage`
 * for the one token it knows (401 otherwise, as Telegram does), records each message, and answers
 * the scripted failures first. It is a fake because the real API is not reachable from tests.
 */
export async function fakeTelegramBotApi(token: string): Promise<{
  url: string;
  sent: SentMessage[];
  requests: number;
  script: ScriptedAnswer[];
  close(): Promise<void>;
}> {
  const state = { sent: [] as SentMessage[], requests: 0, script: [] as ScriptedAnswer[] };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      state.requests += 1;
      const answer = (status: number, payload: object) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(payload));
      const match = /^\/bot([^/]+)\/sendMessage$/.exec(req.url ?? "");
      if (req.method !== "POST" || !match) return answer(404, { ok: false, error_code: 404, description: "Not Found" });
      if (match[1] !== token) return answer(401, { ok: false, error_code: 401, description: "Unauthorized" });
      const scripted = state.script.shift();
      if (scripted) {
        return answer(scripted.status, {
          ok: false,
          error_code: scripted.status,
          description: scripted.description ?? "scripted failure",
          ...(scripted.retryAfter !== undefined ? { parameters: { retry_after: scripted.retryAfter } } : {}),
        });
      }
      const message = JSON.parse(body) as { chat_id: unknown; text: unknown; parse_mode?: unknown };
      state.sent.push({
        token: match[1],
        chatId: String(message.chat_id),
        text: String(message.text),
        parseMode: message.parse_mode,
      });
      answer(200, { ok: true, result: { message_id: state.sent.length } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get sent() {
      return state.sent;
    },
    get requests() {
      return state.requests;
    },
    get script() {
      return state.script;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
