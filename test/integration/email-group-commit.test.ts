import net from "node:net";
import { afterEach, beforeEach, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { systemClock } from "../../src/core/clock.js";
import { createLogger } from "../../src/core/logger.js";
import { WakeHub } from "../../src/core/wake.js";
import { SettingsStore } from "../../src/db/coordination/settings.js";
import type { Sql } from "../../src/db/sql.js";
import { Router } from "../../src/http/router.js";
import { type HttpServer, listen } from "../../src/http/server.js";
import type { ServiceContext } from "../../src/services/contract.js";
import { GroupCommit } from "../../src/services/email/enqueue/group-commit.js";
import { prepareRows } from "../../src/services/email/enqueue/insert.js";
import { emailServiceDefinition } from "../../src/services/email/index.js";
import { CountingSql, CrashBeforeCommitSql } from "../helpers/counting-sql.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";
import { statusCounts } from "../helpers/email.js";

interface Answer {
  status: number;
  body: { id?: string; error?: string };
}

const logger = createLogger({ level: "silent", format: "json", secrets: [] });

describeEachDialect("POST /emails under concurrency (group commit)", (_dialect, makeDb) => {
  let t: TestDb;
  let server: HttpServer | undefined;
  beforeEach(async () => {
    t = await makeDb();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await t.cleanup();
  });

  /** The email routes alone, on `sql` instead of the database's own executor. */
  async function serve(sql: Sql): Promise<number> {
    const { config } = loadConfig({ STATUS_PORT: "0" }, { cwd: tempDir(), isTTY: false, hostname: "test", pid: 1 });
    const ctx = {
      config,
      db: { ...t.db, sql },
      clock: systemClock,
      wake: new WakeHub(),
      stores: { settings: new SettingsStore(sql) },
    } as unknown as ServiceContext;
    const router = new Router();
    emailServiceDefinition().routes?.(router, ctx);
    server = await listen(router, "127.0.0.1", 0, logger);
    return server.port;
  }

  /**
   * Many requests that reach the server together, as a busy server sees them: keep-alive
   * connections, each first used for a GET (so that the server has accepted them all), then
   * every POST written in one go. (An in-process fetch sends them one turn of the loop apart.)
   */
  async function postTogether(port: number, bodies: object[]): Promise<Answer[]> {
    const sockets = await Promise.all(
      bodies.map(
        () =>
          new Promise<net.Socket>((resolve, reject) => {
            const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
            socket.once("error", reject);
          }),
      ),
    );
    const send = (socket: net.Socket, head: string, body = "") =>
      new Promise<Answer>((resolve, reject) => {
        let text = "";
        const onData = (chunk: Buffer) => {
          text += chunk.toString();
          const end = text.indexOf("\r\n\r\n");
          const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? Number.NaN);
          if (end < 0 || text.length < end + 4 + length) return;
          socket.off("data", onData);
          resolve({ status: Number(text.slice(9, 12)), body: JSON.parse(text.slice(end + 4, end + 4 + length)) });
        };
        socket.on("data", onData);
        socket.once("error", reject);
        socket.write(`${head}Host: 127.0.0.1:${port}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      });
    const warm = await Promise.all(sockets.map((socket) => send(socket, "GET /emails/none HTTP/1.1\r\n")));
    expect(warm.every((a) => a.status === 404)).toBe(true);
    const answers = await Promise.all(
      sockets.map((socket, i) =>
        send(socket, "POST /emails HTTP/1.1\r\nContent-Type: application/json\r\n", JSON.stringify(bodies[i])),
      ),
    );
    for (const socket of sockets) socket.destroy();
    return answers;
  }

  const good = (n: number) => ({ to: `reader${n}@example.com`, subject: `order ${n}`, text: "thanks" });

  it("answers each of many concurrent requests after its own commit, in far fewer transactions", async () => {
    const counting = new CountingSql(t.db.sql);
    const port = await serve(counting);
    const bodies: object[] = Array.from({ length: 300 }, (_, n) =>
      n % 10 === 7 ? { ...good(n), to: "reader(at)example.com" } : good(n),
    );
    // Two requests with one key: one job, both answered with it.
    bodies.push({ ...good(1000), idempotencyKey: "order-1000" }, { ...good(1001), idempotencyKey: "order-1000" });
    const answers = await postTogether(port, bodies);

    const refused = answers.filter((a) => a.status === 400);
    expect(refused).toHaveLength(30);
    expect(refused.every((a) => /is not an email address/.test(a.body.error ?? ""))).toBe(true);
    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted).toHaveLength(271);
    const keyed = answers.slice(300);
    expect(keyed.map((a) => a.status).sort()).toEqual([200, 202]);
    expect(keyed[0]?.body.id).toBe(keyed[1]?.body.id);

    const ids = accepted.map((a) => a.body.id as string);
    const stored = await t.db.sql.all<{ id: string | number }>("select id from email_jobs");
    expect(new Set(stored.map((r) => String(r.id)))).toEqual(new Set(ids));
    const inserts = counting.count("insert", "email_jobs");
    expect(inserts).toBeGreaterThan(0);
    expect(inserts).toBeLessThan(271 / 4);
  });

  it("answers 5xx for every request whose group could not commit, and stores none of them", async () => {
    const port = await serve(new CrashBeforeCommitSql(t.db.sql));
    const answers = await postTogether(
      port,
      Array.from({ length: 40 }, (_, n) => good(n)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(500));
    expect(await statusCounts(t.db)).toEqual({});
  });

  it("commits jobs added together in one transaction, and retries a failed group's jobs one by one", async () => {
    await refusePoison();
    const counting = new CountingSql(t.db.sql);
    const groups: Array<[number, boolean]> = [];
    const group = new GroupCommit(counting, { onGroup: (size, committed) => groups.push([size, committed]) });
    const rows = prepareRows(
      Array.from({ length: 50 }, (_, n) => good(n)),
      { now: new Date() },
    );
    const results = await Promise.all(rows.map((row) => group.add(row)));
    // Each caller has its own row's id: the row with its Message-ID.
    const stored = await t.db.sql.all<{ id: string | number; message_id: string }>(
      "select id, message_id from email_jobs",
    );
    const messageIds = new Map(stored.map((r) => [String(r.id), r.message_id]));
    expect(results.map((r) => messageIds.get(r.id))).toEqual(rows.map((r) => r.messageId));
    expect(groups).toEqual([[50, true]]);
    expect(counting.count("insert", "email_jobs")).toBe(1);

    groups.length = 0;
    const mixed = prepareRows(
      Array.from({ length: 5 }, (_, n) => (n === 2 ? { ...good(n), subject: "poison" } : good(n))),
      { now: new Date() },
    );
    const outcomes = await Promise.allSettled(mixed.map((row) => group.add(row)));
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect(groups[0]).toEqual([5, false]);
    expect(groups.slice(1).sort()).toEqual([
      [1, false],
      [1, true],
      [1, true],
      [1, true],
      [1, true],
    ]);
    expect(await statusCounts(t.db)).toEqual({ pending: 54 });
  });

  async function refusePoison(): Promise<void> {
    if (t.db.dialect === "sqlite") {
      await t.db.sql.run(`create trigger refuse_poison before insert on email_jobs when new.subject = 'poison'
        begin select raise(abort, 'poison refused'); end`);
    } else {
      await t.db.sql.run(`create function refuse_poison() returns trigger language plpgsql as $$
        begin if new.subject = 'poison' then raise exception 'poison refused'; end if; return new; end $$`);
      await t.db.sql.run(
        "create trigger refuse_poison before insert on email_jobs for each row execute function refuse_poison()",
      );
    }
  }

  it("fails only the job the database refuses: its group's others are committed one by one", async () => {
    await refusePoison();
    const port = await serve(t.db.sql);
    const bodies = Array.from({ length: 60 }, (_, n) => (n === 30 ? { ...good(n), subject: "poison" } : good(n)));
    const answers = await postTogether(port, bodies);
    expect(answers[30]?.status).toBe(500);
    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted).toHaveLength(59);
    const stored = await t.db.sql.all<{ id: string | number }>("select id from email_jobs");
    expect(new Set(stored.map((r) => String(r.id)))).toEqual(new Set(accepted.map((a) => a.body.id)));
  });
});
