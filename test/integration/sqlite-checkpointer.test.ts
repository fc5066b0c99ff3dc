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

  it("gives a large WAL back a step at a time while another connection keeps writing, keeping every row", async () => {
    const file = path.join(tempDir(), "steward.db");
    const raw = new Sqlite(file);
    raw.pragma("journal_mode = WAL");
    raw.pragma("wal_autocheckpoint = 0"); // only the thread checkpoints here
    raw.pragma("busy_timeout = 5000");
    raw.pragma("user_version = 7");
    raw.exec("create table blobs (b blob)");
    const insert = raw.prepare("insert into blobs values (randomblob(4000))");
    raw.transaction(() => {
      for (let i = 0; i < 5_000; i += 1) insert.run(); // a 20 MB WAL
    })();
    const start = fs.statSync(`${file}-wal`).size;
    const checkpointer = startCheckpointer(file, { shrinkStepBytes: 4_000_000, idleExitMs: 0 });
    // The sizes the WAL goes through, seen from here, and this connection writing all along.
    const sizes = new Set<number>();
    let written = 0;
    const watch = setInterval(() => {
      sizes.add(fs.statSync(`${file}-wal`).size);
      insert.run();
      written += 1;
    }, 1);
    const done = await checkpointer.shrink();
    clearInterval(watch);
    await checkpointer.stop();

    expect(done).toBe(true);
    expect([...sizes].filter((size) => size > 0 && size < start - 1_000_000).length).toBeGreaterThan(0);
    expect(Math.min(...sizes)).toBeLessThan(start);
    expect(raw.prepare("select count(*) as n from blobs").get()).toEqual({ n: 5_000 + written });
    expect(raw.pragma("user_version", { simple: true })).toBe(7);
    raw.close();
  });

  it("with catchUp between a job's batches, the WAL starts again from its beginning despite a steady stream of commits", async () => {
    const file = path.join(tempDir(), "steward.db");
    const raw = new Sqlite(file);
    raw.pragma("journal_mode = WAL");
    raw.pragma("wal_autocheckpoint = 0");
    raw.pragma("busy_timeout = 5000");
    raw.exec("create table blobs (b blob)");
    const insert = raw.prepare("insert into blobs values (randomblob(4000))");
    const batch = raw.transaction(() => {
      for (let i = 0; i < 250; i += 1) insert.run(); // 1 MB of WAL
    });
    const checkpointer = startCheckpointer(file, { idleExitMs: 0 });
    const stream = setInterval(() => insert.run(), 1);
    try {
      const answers: boolean[] = [];
      for (let i = 0; i < 60; i += 1) {
        batch();
        answers.push(await checkpointer.catchUp());
      }
      expect(answers.filter(Boolean).length).toBeGreaterThan(answers.length / 2);
      // Without the restarts it would hold all 60 batches: 60 MB. With them it starts again from
      // 4 MB, or from 32 MB at the latest while the disk is slow.
      expect(fs.statSync(`${file}-wal`).size).toBeLessThan(40_000_000);
    } finally {
      clearInterval(stream);
      await checkpointer.stop();
      raw.close();
    }
  });
});
