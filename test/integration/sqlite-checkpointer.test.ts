import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/open.js";
import { tempDir } from "../helpers/db.js";
import { waitFor } from "../helpers/wait.js";

describe("background WAL checkpoint (SQLite)", () => {
  it("copies committed pages into the database file from its own thread, again after the WAL was idle, and stops with close", async () => {
    const file = path.join(tempDir(), "steward.db");
    const db = openDatabase({ dialect: "sqlite", file }, { backgroundCheckpoint: true });
    if (db.driver.dialect !== "sqlite") throw new Error("expected SQLite");
    const raw = db.driver.db;
    // The writing connection's own automatic checkpoint is only a far-off fallback now...
    expect(raw.pragma("wal_autocheckpoint", { simple: true })).toBe(10000);
    raw.exec("create table blobs (b blob)");
    const insert = raw.prepare("insert into blobs values (randomblob(4000))");
    for (let i = 0; i < 1000; i += 1) insert.run(); // ~1,000 pages, far below the fallback
    // ...so the database file grows only because the worker checkpoints the WAL into it.
    await waitFor(() => fs.statSync(file).size > 2_000_000, { what: "the checkpoint to grow the file", everyMs: 10 });
    expect(fs.statSync(file).size).toBeGreaterThan(2_000_000);
    // The worker sleeps once the WAL is copied; the next writes wake it again.
    for (let i = 0; i < 1000; i += 1) insert.run();
    await waitFor(() => fs.statSync(file).size > 4_000_000, { what: "the second checkpoint", everyMs: 10 });
    expect(fs.statSync(file).size).toBeGreaterThan(4_000_000);
    await db.close();
    await db.close();
  });
});
