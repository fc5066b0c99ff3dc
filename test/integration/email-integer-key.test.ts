import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.js";
import { type Database, openDatabase } from "../../src/db/open.js";
import { enqueueEmail } from "../../src/services/email/enqueue/enqueue.js";
import { readEmailCounts } from "../../src/services/email/store/counts.js";
import { createEmailStore } from "../../src/services/email/store/create.js";
import { describeEachDialect, freshPg, migrationsBefore, type TestDb, tempDir } from "../helpers/db.js";

/**
 * The integer key (sqlite 0014, pg 0012) on a database that already has jobs: every job kept,
 * numbered in the order it was made, its old id still finding it, a notice following its job,
 * the counts unchanged, and new jobs numbered after the old ones.
 */
describeEachDialect("email integer key migration", (dialect, makeDb) => {
  let t: TestDb;
  let dir: string;
  beforeEach(async () => {
    t = await makeDb();
    dir = tempDir("steward-integer-key-");
  });
  afterEach(async () => {
    await t.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps every job under a new integer id, found by its old one too, and numbers new jobs after them", async () => {
    const tag = dialect === "pg" ? "0012_email_integer_key" : "0014_email_integer_key";
    const { folder, toApply } = migrationsBefore(dialect, tag, dir);
    const schema = `k_${Math.random().toString(16).slice(2, 10)}`;
    const db: Database =
      dialect === "pg" ? await freshPg(t, schema) : openDatabase({ dialect: "sqlite", file: path.join(dir, "old.db") });
    try {
      await migrate(db, folder);
      const to = JSON.stringify(["a@example.com"]);
      // Text ids as before: UUIDv7s whose order is their time, made out of order here.
      const old = [
        "01900000-0000-7000-8000-000000000002",
        "01900000-0000-7000-8000-000000000001",
        "01900000-0000-7000-8000-000000000003",
      ];
      for (const [i, id] of old.entries()) {
        await db.sql.run("insert into email_jobs (id, to_addrs, subject, text_body, status) values (?, ?, ?, 'x', ?)", [
          id,
          to,
          `old ${i}`,
          i === 2 ? "sent" : "pending",
        ]);
      }
      await db.sql.run(
        `insert into lifecycle_notices (subject_type, subject_id, kind, subscription_end, email_job_id, recipient, created_at)
         values ('project', 'p1', '7day', ?, ?, 'a@example.com', ?)`,
        [new Date("2026-03-01T00:00:00Z"), old[2], new Date()],
      );

      expect((await migrate(db)).applied).toBe(toApply);

      const rows = await db.sql.all<{ id: number | string; legacy_id: string; subject: string }>(
        "select id, legacy_id, subject from email_jobs order by id",
      );
      const kept = rows.map((r) => [String(r.id), r.legacy_id, r.subject]);
      // SQLite numbers them by the rowid they had (the order they were inserted), PostgreSQL by
      // their old id (a UUIDv7's order is its time): either way, the order they were made here.
      expect(kept).toEqual(
        dialect === "pg"
          ? [
              ["1", old[1], "old 1"],
              ["2", old[0], "old 0"],
              ["3", old[2], "old 2"],
            ]
          : [
              ["1", old[0], "old 0"],
              ["2", old[1], "old 1"],
              ["3", old[2], "old 2"],
            ],
      );
      const sentId = String(rows.find((r) => r.legacy_id === old[2])?.id);
      const notice = await db.sql.get<{ email_job_id: string }>("select email_job_id from lifecycle_notices");
      expect(notice?.email_job_id).toBe(sentId);

      const store = createEmailStore(db);
      expect((await store.get(old[2] as string))?.id).toBe(sentId);
      expect((await store.get(sentId))?.subject).toBe("old 2");
      expect(await store.cancel(old[1] as string, new Date())).toBe(true);
      expect(await store.get("01900000-0000-7000-8000-00000000ffff")).toBeUndefined();

      const created = await enqueueEmail(db.sql, { to: "b@example.com", subject: "new", text: "x" });
      expect(created.id).toBe("4");
      const { counts } = await readEmailCounts(db.sql, new Date());
      expect(counts).toEqual({ pending: 2, sending: 0, sent: 1, failed: 0, cancelled: 1 });
    } finally {
      await db.close();
      if (dialect === "pg") await t.db.sql.run(`drop schema ${schema} cascade`);
    }
  });
});
