import fs from "node:fs";
import path from "node:path";
import Sqlite from "better-sqlite3";
import { afterEach, beforeEach, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.js";
import { openDatabase } from "../../src/db/open.js";
import { enqueueEmailSync } from "../../src/index.js";
import { tempDir } from "../helpers/db.js";

// A statement with RETURNING that is run with better-sqlite3's run() stops at its first row and
// commits when it is reset, and SQLite's automatic checkpoint does not run after such a commit:
// 5,000 one-by-one enqueues left a 66 MB WAL, against 4 MB. The writer reads no rows back
// (sqlite-insert.ts); this holds it to a WAL the host's autocheckpoint keeps in bounds.

const JOBS = 3_000;
/** The default wal_autocheckpoint of 1,000 pages of 4 KiB, and room for the commit that passes it. */
const MOST_WAL_BYTES = 6 * 1024 * 1024;

let file: string;
let host: Sqlite.Database;
beforeEach(async () => {
  file = path.join(tempDir(), "steward.db");
  const db = openDatabase({ dialect: "sqlite", file });
  await migrate(db);
  await db.close();
  host = new Sqlite(file);
});
afterEach(() => host.close());

it("keeps a host app's WAL within its autocheckpoint while it enqueues one job at a time", () => {
  for (let i = 0; i < JOBS; i += 1) {
    enqueueEmailSync(host, { to: `reader${i}@example.com`, subject: `n${i}`, text: "x".repeat(1_000) });
  }
  // Each commit writes some 3 pages and a 1 KB body: without checkpoints the WAL passes 30 MB.
  expect(host.prepare("select count(*) from email_jobs").pluck().get()).toBe(JOBS);
  expect(fs.statSync(`${file}-wal`).size).toBeLessThan(MOST_WAL_BYTES);
});
