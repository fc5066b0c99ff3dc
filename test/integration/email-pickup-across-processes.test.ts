import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";
import { emailApp } from "../helpers/email.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { projectRoot } from "../helpers/steward-process.js";
import { waitFor } from "../helpers/wait.js";

/** A minute: no job in these tests may wait for it. */
const POLL_MS = 60_000;
/** Far beyond a wake-up, far below the poll: reaching it means the job waited for the poll. */
const PICKUP_TIMEOUT_MS = 20_000;

type Reply = { ready?: true; done?: string };
type Op = "api" | "bulk" | "sql";

/** A host app in a process of its own (test/helpers/host-app-enqueuer.mjs), driven over IPC. */
class HostAppProcess {
  private replies: Reply[] = [];
  private constructor(readonly child: ChildProcess) {
    child.on("message", (reply) => this.replies.push(reply as Reply));
  }

  static async start(url: string): Promise<HostAppProcess> {
    const script = path.join(projectRoot, "test/helpers/host-app-enqueuer.mjs");
    const host = new HostAppProcess(fork(script, [url], { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
    await host.reply((r) => r.ready === true, "the host app process to open the database");
    return host;
  }

  /** Enqueues through the public API (one job, or two in a "bulk" call) or a plain INSERT ("sql"); resolves once committed. */
  async enqueue(op: Op, subject: string): Promise<void> {
    this.child.send({ op, subject });
    await this.reply((r) => r.done === subject, `the host app's commit of "${subject}"`);
  }

  private reply(test: (r: Reply) => boolean, what: string): Promise<Reply> {
    return waitFor(() => this.replies.find(test), { what, timeoutMs: 15_000 });
  }

  stop(): void {
    this.child.kill("SIGKILL");
  }
}

describeEachDialect("a host app's job committed in another process", (dialect, makeDb) => {
  let t: TestDb;
  let sink: SmtpSink;
  let host: TestApp | undefined;
  let other: HostAppProcess | undefined;

  beforeEach(async () => {
    t = await makeDb();
    sink = await SmtpSink.start();
  });
  afterEach(async () => {
    other?.stop();
    other = undefined;
    await host?.app.stop();
    host = undefined;
    await sink.stop();
    await t.cleanup();
  });

  const how = dialect === "sqlite" ? "a commit seen in the database's folder" : "NOTIFY, a plain INSERT's by trigger";
  it(`is sent at once, woken by ${how}, though the poll is a minute away`, async () => {
    host = emailApp({ databaseUrl: t.url, sink, env: { EMAIL_POLL_INTERVAL_MS: String(POLL_MS) } });
    await host.app.start();
    other = await HostAppProcess.start(t.url);
    // Each job is committed only after the workers went back to sleep on the minute's poll.
    const rounds: Array<[Op, string[]]> = [
      ["api", ["through enqueueEmail"]],
      ["bulk", ["through enqueueEmails 1", "through enqueueEmails 2"]],
      ["sql", ["inserted by hand"]],
      ["sql", ["inserted by hand again"]],
    ];
    const expected: string[] = [];
    for (const [op, subjects] of rounds) {
      await other.enqueue(op, op === "bulk" ? "through enqueueEmails" : (subjects[0] as string));
      expected.push(...subjects);
      await waitFor(() => sink.messages.length >= expected.length, {
        what: `${subjects.join(" and ")} to be sent before the poll`,
        timeoutMs: PICKUP_TIMEOUT_MS,
      });
    }
    // The two of one bulk call go out together, in either order.
    expect(sink.messages.map((m) => m.parsed?.subject).sort()).toEqual([...expected].sort());
  });
});
