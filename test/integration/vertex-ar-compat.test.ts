import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { runCliHere } from "../helpers/cli.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";
import { emailApp } from "../helpers/email.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Vertex AR's app keeps writing `email_queue` after the switch: the view `steward compat
 * vertex-ar enable` makes takes the app's own INSERT (its create_email_job statement, with its
 * parameters as Python's sqlite3 passes them), refuses a bad row at insert time with the API's
 * words, and the mail reaches a real SMTP server through Steward's queue.
 */

/** Vertex AR's INSERT, column for column as its EmailQueueJob.to_dict() fills it. */
const APP_INSERT = `INSERT INTO email_queue (id, recipient_to, subject, body, html, template_id, variables, status,
  attempts, last_error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

interface AppRow {
  to: string;
  subject?: string;
  body?: string | null;
  html?: string | null;
  templateId?: string | null;
  variables?: string | null;
  status?: string;
}

/** As Python's sqlite3 adapts datetime.utcnow(): naive text with microseconds. */
const pythonNow = () => new Date().toISOString().replace("T", " ").replace("Z", "000");

function appParams(id: string, row: AppRow): unknown[] {
  return [
    id,
    row.to,
    row.subject ?? "Hello",
    row.body === undefined ? "Plain body" : row.body,
    row.html ?? null,
    row.templateId ?? null,
    row.variables ?? null,
    row.status ?? "pending",
    0,
    null,
    pythonNow(),
    pythonNow(),
  ];
}

describeEachDialect("steward compat vertex-ar", (dialect, makeDb) => {
  let t: TestDb;
  let dir: string;
  let sink: SmtpSink;
  let host: TestApp | undefined;
  /** The app's own connection: better-sqlite3 on the file, or a pg client. */
  let insert: (id: string, row: AppRow) => Promise<void>;
  let appSql: (text: string) => Promise<void>;
  let closeApp: () => Promise<void>;

  beforeEach(async () => {
    t = await makeDb();
    dir = tempDir("steward-compat-");
    sink = await SmtpSink.start();
    if (dialect === "sqlite") {
      const app = new Sqlite(t.url);
      insert = async (id, row) => {
        app.prepare(APP_INSERT).run(...appParams(id, row));
      };
      appSql = async (text) => {
        app.prepare(text).run();
      };
      closeApp = async () => {
        app.close();
      };
    } else {
      const app = new pg.Client({ connectionString: t.url });
      await app.connect();
      let n = 0;
      const numbered = APP_INSERT.replace(/\?/g, () => `$${++n}`);
      insert = async (id, row) => {
        await app.query(numbered, appParams(id, row));
      };
      appSql = async (text) => {
        await app.query(text);
      };
      closeApp = () => app.end();
    }
  });
  afterEach(async () => {
    await host?.app.stop();
    host = undefined;
    await closeApp();
    await sink.stop();
    await t.cleanup();
  });

  const cli = (...args: string[]) => runCliHere(args, { env: { DATABASE_URL: t.url, DATA_DIR: dir }, cwd: dir });

  async function jobs(): Promise<number> {
    return Number((await t.db.sql.get<{ n: unknown }>("select count(*) as n from email_jobs"))?.n);
  }

  it("queues the app's insert, delivers it through SMTP, and shows it back in the seed's shape", async () => {
    expect((await cli("compat", "vertex-ar", "enable")).stdout).toMatch(/^enabled: email_queue is a view over/);
    host = emailApp({ databaseUrl: t.url, sink, cwd: dir, env: { EMAIL_POLL_INTERVAL_MS: "200" } });
    await host.app.start();

    const id = randomUUID();
    await insert(id, {
      to: "anna@example.com, boris@example.com",
      subject: "Your portrait",
      body: "Plain text",
      html: "<p>HTML</p>",
      templateId: "welcome",
      variables: '{"name": "Anna"}',
    });
    await sink.waitForMessages(1);
    const message = sink.messages[0];
    expect([...(message?.envelopeTo ?? [])].sort()).toEqual(["anna@example.com", "boris@example.com"]);
    expect(message?.parsed?.subject).toBe("Your portrait");
    expect(message?.parsed?.text?.trim()).toBe("Plain text");

    // The app's own status queries read Steward's state through the view.
    const row = await waitFor(async () => {
      const r = await t.db.sql.get<Record<string, unknown>>(
        "select id, recipient_to, status, attempts, created_at from email_queue where id = ?",
        [id],
      );
      return r?.status === "sent" && r;
    });
    expect(row).toMatchObject({ id, recipient_to: "anna@example.com,boris@example.com", attempts: 1 });
    expect(String(row.created_at)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const job = await t.db.sql.get<Record<string, unknown>>(
      "select idempotency_key, template_id from email_jobs where idempotency_key = ?",
      [id],
    );
    expect(job).toEqual({ idempotency_key: id, template_id: "welcome" });
  });

  it("refuses a bad row at insert time with the API's words, and writes nothing", async () => {
    await cli("compat", "vertex-ar", "enable");
    const refusal = async (row: AppRow): Promise<string> => {
      try {
        await insert(randomUUID(), row);
      } catch (error) {
        return (error as Error).message;
      }
      return "accepted";
    };
    expect(await refusal({ to: " , " })).toBe("at least one recipient is required (to, cc or bcc)");
    expect(await refusal({ to: "a@example.com", subject: " " })).toBe("subject is required");
    expect(await refusal({ to: "a@example.com", body: null })).toBe("a body is required: text, html or templateId");
    expect(await refusal({ to: "a@example.com", subject: "two\nlines" })).toBe(
      "subject must not contain CR, LF or NUL",
    );
    expect(await refusal({ to: "a@example.com", variables: "[1, 2]" })).toBe("variables must be an object");
    expect(await refusal({ to: "a@example.com", variables: "{oops" })).toBe("variables must be an object");
    expect(await refusal({ to: "a@example.com", status: "sent" })).toMatch(/^status: email_queue takes new mail only/);
    // PostgreSQL names the entry, as the API does; SQLite's RAISE takes a literal only.
    expect(await refusal({ to: "a@example.com, not an address" })).toBe(
      dialect === "pg"
        ? 'to: "not an address" is not an email address'
        : 'to: an entry of recipient_to is not an email address (one "a@b" per comma)',
    );
    expect(await jobs()).toBe(0);

    await insert("kept", { to: "a@example.com" });
    await expect(appSql("update email_queue set status = 'sending' where id = 'kept'")).rejects.toThrow(
      /^email_queue is Steward's view of its email_jobs: a queued job is not updated through it/,
    );
    await expect(appSql("delete from email_queue where id = 'kept'")).rejects.toThrow(
      /^email_queue is Steward's view of its email_jobs: rows are not deleted through it/,
    );
    expect(await jobs()).toBe(1);
  });

  it("disable removes the view and its triggers and keeps the jobs; enable refuses a table of that name", async () => {
    await cli("compat", "vertex-ar", "enable");
    await insert("one", { to: "a@example.com" });
    expect((await cli("compat", "vertex-ar", "disable")).stdout).toMatch(/^disabled: the email_queue view/);
    const leftovers =
      dialect === "sqlite"
        ? await t.db.sql.all("select name from sqlite_master where name like 'email_queue%'")
        : await t.db.sql.all(
            `select relname as name from pg_class where relname like 'email_queue%' and relnamespace = current_schema()::regnamespace
             union all select proname from pg_proc where proname like 'email_queue%' and pronamespace = current_schema()::regnamespace`,
          );
    expect(leftovers).toEqual([]);
    expect(await jobs()).toBe(1);
    expect((await cli("compat", "vertex-ar", "disable")).stdout).toMatch(/^not enabled/);

    await t.db.sql.run("create table email_queue (id text primary key)");
    const refused = await cli("compat", "vertex-ar", "enable");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^steward: .* already has a table named email_queue; import its rows with/);
    expect(refused.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  if (dialect === "sqlite") {
    it("works from Python's sqlite3, whose older SQLite must parse the triggers (Vertex AR is a Python app)", async () => {
      await cli("compat", "vertex-ar", "enable");
      const python = spawnSync(
        "python3",
        [
          "-c",
          [
            "import sqlite3, sys, datetime, uuid",
            "c = sqlite3.connect(sys.argv[1])",
            "now = datetime.datetime.utcnow()",
            `c.execute("""${APP_INSERT}""", (str(uuid.uuid4()), 'py@example.com', 'From Python', 'Body', None, None, None, 'pending', 0, None, now, now))`,
            "c.commit()",
            "try:",
            `    c.execute("""${APP_INSERT}""", (str(uuid.uuid4()), 'nobody', 'x', 'y', None, None, None, 'pending', 0, None, now, now))`,
            "except sqlite3.DatabaseError as e:",
            "    print(e)",
            "print(sqlite3.sqlite_version)",
          ].join("\n"),
          t.url,
        ],
        { encoding: "utf8" },
      );
      expect(python.stderr).toBe("");
      expect(python.stdout).toMatch(/^to: an entry of recipient_to is not an email address/);
      const row = await t.db.sql.get<{ to_addrs: string }>("select to_addrs from email_jobs");
      expect(JSON.parse(row?.to_addrs ?? "null")).toEqual(["py@example.com"]);
    });
  }
});
