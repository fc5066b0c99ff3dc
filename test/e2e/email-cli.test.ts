import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/db.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { baseEnv, projectRoot, type RunResult, runSteward, StewardProcess } from "../helpers/steward-process.js";
import { waitFor } from "../helpers/wait.js";

describe("the email operator CLI", () => {
  let dir: string;
  let sink: SmtpSink;
  let env: Record<string, string>;
  let proc: StewardProcess | undefined;

  beforeEach(async () => {
    dir = tempDir();
    sink = await SmtpSink.start({
      auth: { user: "mailer", pass: "s3cret-password" },
      refuseRecipient: (address) => (address === "bounce@example.com" ? { code: 550, message: "No such user" } : null),
    });
    env = baseEnv({
      DATA_DIR: path.join(dir, "data"),
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(sink.port),
      SMTP_USER: "mailer",
      SMTP_PASSWORD: "s3cret-password",
      EMAIL_FROM: "Steward <steward@example.test>",
    });
  });
  afterEach(async () => {
    await proc?.stop();
    proc = undefined;
    await sink.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const steward = (...args: string[]) => runSteward(args, { env, cwd: dir });
  const json = <T>(result: RunResult): T => JSON.parse(result.stdout) as T;
  const idOf = (result: RunResult) => /^queued (\S+) /.exec(result.stdout)?.[1] as string;

  it("verify-smtp says whether the connection or the login failed", async () => {
    const ok = await steward("email", "verify-smtp");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^connection: ok \(connected to 127\.0\.0\.1:\d+\)$/m);
    expect(ok.stdout).toMatch(/^login: {6}ok \(logged in as mailer\)$/m);

    const badLogin = await runSteward(["email", "verify-smtp"], { env: { ...env, SMTP_PASSWORD: "wrong" }, cwd: dir });
    expect(badLogin.code).toBe(1);
    expect(badLogin.stdout).toMatch(/^connection: ok/m);
    expect(badLogin.stdout).toMatch(/^login: {6}FAILED \(login as mailer failed: 535 Invalid username or password\)$/m);

    await sink.stop();
    const down = await steward("email", "verify-smtp");
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/^connection: FAILED \(cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/m);
  });

  it("send, drain, failed, retry, show, cancel, stats and cleanup work on the stored queue", async () => {
    // Only start and migrate create a database; the other commands refuse to make one.
    expect((await steward("migrate")).code).toBe(0);
    const good = idOf(await steward("email", "send", "--to", "a@example.com", "--subject", "one", "--text", "1"));
    const bad = idOf(await steward("email", "send", "--to", "bounce@example.com", "--subject", "two", "--text", "2"));
    const later = idOf(
      await steward(
        "email",
        "send",
        "--to",
        "c@example.com",
        "--subject",
        "later",
        "--text",
        "3",
        "--send-at",
        "2099-01-01T00:00:00Z",
      ),
    );
    const drain = await steward("email", "drain");
    expect(drain.stdout).toBe("drained 2 job(s): 1 sent, 0 to retry, 1 failed\n");
    expect(drain.code).toBe(1);
    // The sink parses each accepted message after answering it: wait for the parse, then count.
    await sink.waitForMessages(1);
    expect(sink.messages).toHaveLength(1);

    const failed = await steward("email", "failed", "--limit", "5");
    expect(failed.code).toBe(0);
    expect(failed.stdout).toContain(bad);
    expect(failed.stdout).toMatch(/550/);
    expect(json<Array<{ id: string }>>(await steward("email", "failed", "--json")).map((j) => j.id)).toEqual([bad]);

    // `list` is GET /emails on a terminal: the same filters, the same pages, the same refusals.
    type Listed = { items: Array<{ id: string; status: string }>; nextCursor: string | null };
    const failedOnly = json<Listed>(await steward("email", "list", "--status", "failed", "--json"));
    expect(failedOnly).toEqual({ items: [expect.objectContaining({ id: bad, status: "failed" })], nextCursor: null });
    const firstTwo = await steward("email", "list", "--limit", "2");
    expect(firstTwo.stdout).toContain(later);
    const cursor = /^next page: --cursor (\S+)$/m.exec(firstTwo.stdout)?.[1] as string;
    const rest = json<Listed>(await steward("email", "list", "--limit", "2", "--cursor", cursor, "--json"));
    expect(rest.items.map((j) => j.id)).toEqual([good]);
    const lost = await steward("email", "list", "--status", "lost");
    expect(lost.code).toBe(1);
    expect(lost.stderr).toBe('steward: status "lost" is not one of pending, sending, sent, failed, cancelled\n');
    expect((await steward("email", "batch", "nope")).stderr).toBe("steward: no such batch: nope\n");

    // `show` says where each recipient stands: refused, with the server's reply...
    type Shown = { recipients: { delivered: string[]; pending: unknown[]; refused: unknown[] } };
    const refused = { address: "bounce@example.com", code: 550, reply: "550 No such user" };
    expect(json<Shown>(await steward("email", "show", bad)).recipients).toEqual({
      delivered: [],
      pending: [],
      refused: [refused],
    });
    expect(json<Shown>(await steward("email", "show", good)).recipients).toEqual({
      delivered: ["a@example.com"],
      pending: [],
      refused: [],
    });
    expect((await steward("email", "retry", "--id", good)).stderr).toBe(
      `steward: job ${good} is sent; only failed or cancelled jobs can be retried\n`,
    );
    expect((await steward("email", "retry", "--max", "10")).stdout).toBe("re-queued 1 job\n");
    const shown = json<{ status: string; attempts: number; text: string; lastSmtpCode: number }>(
      await steward("email", "show", bad),
    );
    expect(shown).toMatchObject({ status: "pending", attempts: 0, text: "2", lastSmtpCode: 550 });
    // ...and pending again once re-queued.
    expect(json<Shown>(await steward("email", "show", bad)).recipients).toEqual({
      delivered: [],
      pending: [{ address: "bounce@example.com", code: null, reply: null }],
      refused: [],
    });

    expect((await steward("email", "cancel", later)).stdout).toBe(`cancelled ${later}\n`);
    const again = await steward("email", "cancel", later);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`steward: job ${later} is cancelled; only pending jobs can be cancelled\n`);

    const stats = json<{ counts: Record<string, number>; paused: boolean; inFlight: number; sentLastMinute: number }>(
      await steward("email", "stats", "--json"),
    );
    expect(stats.counts).toEqual({ pending: 1, sending: 0, sent: 1, failed: 0, cancelled: 1 });
    expect(stats).toMatchObject({ paused: false, inFlight: 0, sentLastMinute: 1 });
    expect((await steward("email", "cleanup", "--days", "1")).stdout).toBe("deleted 0 jobs older than 1 days\n");
    expect((await steward("email", "show", "no-such-id")).stderr).toBe("steward: no such email job: no-such-id\n");
  });

  it("pause stops a running process from claiming, and resume lets it go on", async () => {
    const running = new StewardProcess({ env, cwd: dir });
    proc = running;
    const port = await running.ready();
    expect((await steward("email", "pause")).stdout).toBe("paused: every process stops claiming within 500 ms\n");
    const details = async () =>
      ((await running.get(port, "/status/email")).body as { details: Record<string, unknown> }).details;
    await waitFor(async () => (await details()).paused === true, {
      timeoutMs: 10_000,
      what: "the process to see the pause",
    });
    const id = idOf(await steward("email", "send", "--to", "a@example.com", "--subject", "held", "--text", "x"));
    // Two refreshes of the process's counts after the enqueue: time has passed, and the job waits.
    const seen = await waitFor(async () => {
      const d = await details();
      return (d.counts as Record<string, number> | null)?.pending === 1 && (d.countsAt as string);
    });
    await waitFor(async () => (await details()).countsAt !== seen);
    expect(sink.attempts).toHaveLength(0);
    expect((await steward("email", "drain")).stderr).toBe(
      "steward: the email queue is paused; run `steward email resume` (or POST /emails/resume) first\n",
    );
    expect((await steward("email", "resume")).code).toBe(0);
    await sink.waitForMessages(1);
    expect(sink.messages[0]?.parsed?.subject).toBe("held");
    await waitFor(async () => json<{ status: string }>(await steward("email", "show", id)).status === "sent");
  });

  it("keeps the seed's entry point: scripts/process_email_queue.mjs drain|retry|stats|failed|cleanup", async () => {
    const script = path.join(projectRoot, "scripts", "process_email_queue.mjs");
    const run = (...args: string[]) =>
      new Promise<RunResult>((resolve) => {
        const child = spawn(process.execPath, [script, ...args], { env, cwd: dir });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => {
          stdout += d.toString();
        });
        child.stderr.on("data", (d: Buffer) => {
          stderr += d.toString();
        });
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      });
    expect((await steward("migrate")).code).toBe(0);
    await steward("email", "send", "--to", "bounce@example.com", "--subject", "s", "--text", "t");
    expect((await run("stats")).stdout).toMatch(/^pending +1$/m);
    const drained = await run("drain", "--max", "5");
    expect(drained.code).toBe(1);
    expect(drained.stdout).toContain("1 failed");
    expect((await run("failed", "--limit", "1")).stdout).toContain("bounce@example.com");
    expect((await run("retry", "--max", "1")).stdout).toBe("re-queued 1 job\n");
    expect((await run("cleanup", "--days", "30")).code).toBe(0);
    const wrong = await run("failed", "--days", "3");
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe("process_email_queue: failed does not take --days\n");
  });
});
