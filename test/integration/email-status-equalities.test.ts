import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sqliteEnable, VIEW } from "../../src/adopt/vertex-ar/compat-sql.js";
import { migrate } from "../../src/db/migrate.js";
import { type Database, openDatabase } from "../../src/db/open.js";
import type { SqliteSql } from "../../src/db/sqlite-sql.js";
import { enqueueEmail, enqueueEmails } from "../../src/services/email/enqueue/enqueue.js";
import { prepareRows } from "../../src/services/email/enqueue/insert.js";
import { sqliteInsert } from "../../src/services/email/enqueue/sqlite-insert.js";
import { readEmailCounts } from "../../src/services/email/store/counts.js";
import { migrationsBefore, tempDir } from "../helpers/db.js";
import { statusCounts } from "../helpers/email.js";

/**
 * sqlite 0016: the status CHECK and the finished-by-age index's condition as equalities, so that
 * a write builds no temporary b-tree for an IN list. What it must not cost: any job, trigger,
 * index or count, the CHECK's refusal, or the Vertex AR view over the table.
 */

const T0 = new Date("2026-03-01T12:00:00Z");

/** The opcodes of a statement's own program, without its triggers' (EXPLAIN lists those after it). */
function topProgram(db: Database, text: string, params: unknown[]): string[] {
  const rows = (db.sql as SqliteSql).raw.prepare(`explain ${text}`).all(...params) as Array<{
    addr: number;
    opcode: string;
  }>;
  const restart = rows.findIndex((r, i) => i > 0 && r.addr <= (rows[i - 1]?.addr ?? 0));
  return (restart < 0 ? rows : rows.slice(0, restart)).map((r) => r.opcode);
}

interface SchemaRow {
  name: string;
  sql: string;
}

/** What a migration must leave as it was: every job, and the table's triggers and indexes. */
const NO_JOBS = { pending: 0, sending: 0, sent: 0, failed: 0, cancelled: 0 };

async function snapshot(db: Database) {
  const sql = db.sql;
  return {
    jobs: await sql.all("select * from email_jobs order by id"),
    triggers: await sql.all<SchemaRow>("select name, sql from sqlite_master where type = 'trigger' order by name"),
    indexes: await sql.all<SchemaRow>(
      "select name, sql from sqlite_master where type = 'index' and tbl_name = 'email_jobs' and sql is not null order by name",
    ),
    // The rows themselves: this code reads the counters as sqlite 0019 keeps them, not as 0016 did.
    counts: await sql.all("select name, n from counters where name like 'email%' order by name"),
    statuses: { ...NO_JOBS, ...(await statusCounts(db)) },
  };
}

describe("email status equalities (sqlite 0016)", () => {
  let dir: string;
  let db: Database | undefined;
  beforeEach(() => {
    dir = tempDir("steward-equalities-");
  });
  afterEach(async () => {
    await db?.close();
    db = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("builds no temporary b-tree for a one-job INSERT, and the CHECK still refuses an unknown status", async () => {
    db = openDatabase({ dialect: "sqlite", file: path.join(dir, "steward.db") });
    await migrate(db);
    const [row] = prepareRows([{ to: "a@example.com", subject: "s", text: "x" }], { now: T0 });
    const { text, params } = sqliteInsert([row as NonNullable<typeof row>], false);
    const program = topProgram(db, text, params);
    expect(program).toContain("Insert");
    expect(program.filter((op) => op === "OpenEphemeral")).toEqual([]);
    // Each of the statuses goes in; another does not.
    for (const status of ["pending", "sending", "sent", "failed", "cancelled"]) {
      await db.sql.run("insert into email_jobs (to_addrs, status) values ('[]', ?)", [status]);
    }
    await expect(db.sql.run("insert into email_jobs (to_addrs, status) values ('[]', 'lost')")).rejects.toThrow(
      /CHECK constraint failed: email_jobs_status_check/,
    );
    await expect(db.sql.run("update email_jobs set status = 'Sent' where status = 'sent'")).rejects.toThrow(
      /email_jobs_status_check/,
    );
  });

  it("keeps every job, trigger, index and count, and the Vertex AR view, through the rebuild", async () => {
    const { folder } = migrationsBefore("sqlite", "0016_email_status_equalities", dir);
    // Up to 0016 and no further: sqlite 0017 changes two of the triggers on purpose.
    const through = migrationsBefore("sqlite", "0017_email_claim_settle_count_moves", dir).folder;
    db = openDatabase({ dialect: "sqlite", file: path.join(dir, "old.db") });
    await migrate(db, folder);
    for (const statement of sqliteEnable) await db.sql.run(statement);
    const made = await enqueueEmails(
      db.sql,
      Array.from({ length: 40 }, (_, i) => ({
        to: `r${i}@example.com`,
        subject: `n${i}`,
        text: "x",
        batchId: i < 10 ? "b-1" : undefined,
        idempotencyKey: i % 7 === 0 ? `k-${i}` : undefined,
      })),
      { now: T0 },
    );
    await db.sql.run(
      `update email_jobs set status = case id % 4 when 0 then 'sent' when 1 then 'failed' when 2 then 'cancelled' else status end,
         updated_at = updated_at + id * 1000 where id % 5 <> 0`,
    );
    await db.sql.run("update email_jobs set status = 'sending', lease_holder = 'w1' where id = 5");
    const before = await snapshot(db);
    expect(before.statuses.pending).toBeGreaterThan(0);
    expect(before.statuses.sent + before.statuses.failed + before.statuses.cancelled).toBeGreaterThan(0);

    expect((await migrate(db, through)).applied).toBe(1);

    const after = await snapshot(db);
    expect(after.jobs).toEqual(before.jobs);
    expect(after.triggers).toEqual(before.triggers);
    expect(after.counts).toEqual(before.counts);
    const indexes = new Map(after.indexes.map((r) => [r.name, r.sql]));
    expect([...indexes.keys()]).toEqual(before.indexes.map((r) => r.name));
    expect(indexes.get("email_jobs_updated_idx")).toMatch(
      /where status = 'sent' or status = 'failed' or status = 'cancelled'$/i,
    );
    const check = await db.sql.get<{ sql: string }>("select sql from sqlite_master where name = 'email_jobs'");
    expect(check?.sql).not.toMatch(/\bin\s*\(/i);
    expect(await db.sql.get<{ integrity_check: string }>("pragma integrity_check")).toEqual({ integrity_check: "ok" });

    // The view reads the jobs and still queues one; new jobs are numbered after the old ones.
    const viewed = await db.sql.get<{ n: number }>(`select count(*) as n from ${VIEW}`);
    expect(viewed?.n).toBe(made.length);
    await db.sql.run(
      `insert into ${VIEW} (id, recipient_to, subject, body) values ('seed-1', 'v@example.com', 'hi', 'x')`,
    );
    const next = await enqueueEmail(db.sql, { to: "b@example.com", subject: "new", text: "x" }, { now: T0 });
    expect(Number(next.id)).toBe(made.length + 2);
    // And through the migrations after it, the counters are the table's.
    await migrate(db);
    const { counts } = await readEmailCounts(db.sql, T0);
    expect(counts).toEqual({ ...NO_JOBS, ...(await statusCounts(db)) });
    expect(counts.pending).toBe(before.statuses.pending + 2);
  });
});
