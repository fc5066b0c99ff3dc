import fs from "node:fs";
import path from "node:path";
import Sqlite from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/open.js";
import { startCheckpointer } from "../../src/db/sqlite-checkpointer.js";
import { tempDir } from "../helpers/db.js";
import { waitFor } from "../helpers/wait.js";

describe("background WAL checkpoint (SQLite)", () => {
  it("copies committed pages into the database file from its own thread, and stops with close", async () => {
    const file = path.join(tempDir(), "steward.db");
    const db = openDatabase({ dialect: "sqlite", file }, { backgroundCheckpoint: true });
    if (db.driver.dialect !== "sqlite") throw new Error("expected SQLite");
    const raw = db.driver.db;
    // The writing connection's own automatic checkpoint is only a far-off fallback now...
    expect(raw.pragma("wal_autocheckpoint", { simple: true })).toBe(10000);
    raw.exec("create table blobs (b blob)");
    const insert = raw.prepare("insert into blobs values (randomblob(4000))");
    for (let i = 0; i < 1500; i += 1) insert.run(); // ~1,500 pages: past the worker's start, far below the fallback
    // ...so the database file grows only because the worker checkpoints the WAL into it.
    await waitFor(() => fs.statSync(file).size > 3_000_000, { what: "the checkpoint to grow the file", everyMs: 10 });
    expect(fs.statSync(file).size).toBeGreaterThan(3_000_000);
    await db.close();
    await db.close();
  });

  it("starts its thread only for a large WAL, ends it after a quiet spell with the WAL truncated, and starts again", async () => {
    const file = path.join(tempDir(), "steward.db");
    const raw = new Sqlite(file);
    raw.pragma("journal_mode = WAL");
    raw.pragma("wal_autocheckpoint = 10000");
    raw.exec("create table blobs (b blob)");
    const checkpointer = startCheckpointer(file, { intervalMs: 20, startBytes: 1_000_000, idleExitMs: 200 });
    const insert = raw.prepare("insert into blobs values (randomblob(4000))");
    const fill = (rows: number) => {
      for (let i = 0; i < rows; i += 1) insert.run();
    };

    fill(10); // 40 kB of WAL: no thread for that
    expect(checkpointer.running).toBe(false);
    fill(500);
    await waitFor(() => fs.statSync(file).size > 1_500_000, { what: "the first checkpoint", everyMs: 10 });
    await waitFor(() => !checkpointer.running, { what: "the thread to end when the WAL was quiet" });
    expect(fs.statSync(`${file}-wal`).size).toBe(0);

    fill(500);
    await waitFor(() => fs.statSync(file).size > 3_000_000, { what: "a checkpoint by a new thread", everyMs: 10 });
    await checkpointer.stop();
    await checkpointer.stop();
    expect(checkpointer.running).toBe(false);
    raw.close();
  });
});
