import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fakeTelegramBotApi } from "../fakes/telegram-bot-api.js";
import { tempDir } from "../helpers/db.js";
import { baseEnv, runSteward } from "../helpers/steward-process.js";

const TOKEN = "987654321:AAE2eTokenThatMustNeverBeLogged_x";

describe("Telegram alerts from the real command", () => {
  let cwd: string;
  let closeApi: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await closeApi?.();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it("a failed backup run by hand reaches the Bot API; the token is in no output", async () => {
    const api = await fakeTelegramBotApi(TOKEN);
    closeApi = api.close;
    cwd = tempDir("steward-telegram-");
    const missing = path.join(cwd, "no-such-storage");
    const env = baseEnv({
      DATA_DIR: path.join(cwd, "data"),
      STORAGE_DIR: missing,
      BACKUP_FULL_ENABLED: "false",
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_CHAT_ID: "-100200300,@steward_ops",
      TELEGRAM_API_URL: api.url,
      LOG_LEVEL: "debug",
    });
    // Only start and migrate create a database; a backup run by hand needs one there.
    expect((await runSteward(["migrate"], { env, cwd })).code).toBe(0);
    const failed = await runSteward(["backup", "run", "storage", "--json"], { env, cwd, timeoutMs: 60_000 });
    expect(failed.code).toBe(1);
    expect(api.sent.map((m) => m.chatId)).toEqual(["-100200300", "@steward_ops"]);
    expect(api.sent[0]?.text).toContain("backup-failed:storage");
    expect(api.sent[0]?.text).toContain(`STORAGE_DIR ${missing} cannot be read`);

    const check = await runSteward(["config", "check"], { env, cwd });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('"telegram"');
    for (const output of [failed.stdout, failed.stderr, check.stdout, check.stderr]) {
      expect(output).not.toContain(TOKEN);
      expect(output).not.toContain("AAE2eTokenThatMustNeverBeLogged");
    }
  });

  it("a token without a chat stops start-up naming the missing variable", async () => {
    cwd = tempDir("steward-telegram-");
    const env = baseEnv({ DATA_DIR: path.join(cwd, "data"), TELEGRAM_BOT_TOKEN: TOKEN });
    const check = await runSteward(["config", "check"], { env, cwd });
    expect(check.code).toBe(2);
    expect(check.stderr).toContain("TELEGRAM_CHAT_ID: is required when TELEGRAM_BOT_TOKEN is set");
    expect(check.stderr).not.toContain(TOKEN);
  });
});
