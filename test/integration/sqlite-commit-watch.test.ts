import fs from "node:fs";
import path from "node:path";
import Sqlite from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { watchOtherCommits } from "../../src/db/sqlite-commit-watch.js";
import { tempDir } from "../helpers/db.js";
import { waitFor } from "../helpers/wait.js";

describe("another connection's commit to a SQLite file", () => {
  it("is told once per commit, never for this connection's own commits or for the checkpoint thread's copying", async () => {
    const file = path.join(tempDir(), "steward.db");
    const own = new Sqlite(file);
    own.pragma("journal_mode = WAL");
    own.exec("create table t (n integer)");
    const other = new Sqlite(file);
    const countOthers = own.prepare("select count(*) from t where n = 2").pluck();
    // Each telling notes how many of the other connection's rows it saw: a telling for one of
    // our own commits or for the checkpoint would show up as a repeated or a zero count.
    const told: number[] = [];
    const watch = watchOtherCommits({ db: own, file, onCommit: () => told.push(countOthers.get() as number) });
    const ownInsert = own.prepare("insert into t values (1)");
    const otherInsert = other.prepare("insert into t values (2)");
    // Our own commits, and then the moment the watch has had its look at them: the file event
    // reaches every watcher of the folder in the same turn, and the watch looks on the next.
    const ownWrites = async () => {
      const seen = new Promise<void>((resolve) => {
        const probe = fs.watch(path.dirname(file), (_event, name) => {
          if (String(name) !== "steward.db-wal") return;
          probe.close();
          setImmediate(() => setImmediate(resolve));
        });
      });
      for (let i = 0; i < 50; i += 1) ownInsert.run();
      await seen;
    };
    const toldOf = (n: number) =>
      waitFor(() => told.includes(n), { what: `${n} rows of the other's`, timeoutMs: 10_000 });

    await ownWrites();
    otherInsert.run();
    await toldOf(1);
    other.pragma("wal_checkpoint(PASSIVE)"); // what the checkpoint thread does while the WAL grows
    await ownWrites();
    other.transaction(() => {
      for (let i = 0; i < 20; i += 1) otherInsert.run();
    })();
    await toldOf(21);
    await ownWrites();
    otherInsert.run();
    await toldOf(22);
    expect(told).toEqual([1, 21, 22]);
    watch.close();
    other.close();
    own.close();
  });
});
