import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { readManifest } from "../../src/services/backup/manifest.js";
import { defaultPgTools } from "../../src/services/backup/pg-tools.js";
import { restoreBackup } from "../../src/services/backup/restore.js";
import { type BackupFixture, backupFixture } from "../helpers/backup-support.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";
import { projectRoot } from "../helpers/steward-process.js";

/**
 * Another process that inserts without pause: each transaction adds one row to ledger_a and
 * one to ledger_b, so any consistent snapshot has as many rows in each. It says "ready" once
 * it is going, and prints its total when told to stop.
 */
function writerScript(dialect: "sqlite" | "pg", url: string): string {
  const modules = path.join(projectRoot, "node_modules");
  if (dialect === "sqlite") {
    return `
      const Sqlite = require(${JSON.stringify(path.join(modules, "better-sqlite3"))});
      const db = new Sqlite(${JSON.stringify(url)});
      db.pragma("busy_timeout = 10000");
      const a = db.prepare("insert into ledger_a (n) values (?)");
      const b = db.prepare("insert into ledger_b (n) values (?)");
      const both = db.transaction((n) => { a.run(n); b.run(n); });
      let n = 0;
      process.on("SIGTERM", () => { console.log("total " + n); process.exit(0); });
      (function loop() {
        for (let i = 0; i < 50; i += 1) both(++n);
        if (n === 500) console.log("ready");
        setImmediate(loop);
      })();`;
  }
  return `
    const pg = require(${JSON.stringify(path.join(modules, "pg"))});
    const client = new pg.Client({ connectionString: ${JSON.stringify(url)} });
    let n = 0;
    let stopping = false;
    process.on("SIGTERM", () => { stopping = true; });
    (async () => {
      await client.connect();
      while (!stopping) {
        n += 1;
        await client.query("begin");
        await client.query("insert into ledger_a (n) values ($1)", [n]);
        await client.query("insert into ledger_b (n) values ($1)", [n]);
        await client.query("commit");
        if (n === 500) console.log("ready");
      }
      await client.end();
      console.log("total " + n);
      process.exit(0);
    })();`;
}

async function startWriter(
  dialect: "sqlite" | "pg",
  url: string,
): Promise<{ child: ChildProcess; stop(): Promise<number> }> {
  const child = spawn(process.execPath, ["-e", writerScript(dialect, url)], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const check = () => (output.includes("ready") ? resolve() : undefined);
    child.stdout?.on("data", check);
    child.on("exit", (code) => reject(new Error(`the writer exited early (${code}): ${output}`)));
  });
  return {
    child,
    async stop() {
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
      child.kill("SIGTERM");
      await exited;
      return Number(/total (\d+)/.exec(output)?.[1]);
    },
  };
}

describeEachDialect("backup under concurrent writes", (dialect, makeDb) => {
  let t: TestDb;
  let f: BackupFixture;
  beforeEach(async () => {
    t = await makeDb();
    f = backupFixture(t);
    for (const table of ["ledger_a", "ledger_b"]) {
      await t.db.sql.run(
        `create table ${table} (id integer primary key ${dialect === "pg" ? "generated always as identity" : ""}, n integer not null)`,
      );
    }
  });
  afterEach(async () => {
    await t.cleanup();
    fs.rmSync(f.root, { recursive: true, force: true });
  });

  it("is consistent while another process inserts rows without pause", async () => {
    const writer = await startWriter(dialect, t.url);
    let total: number;
    let record: Awaited<ReturnType<typeof f.runner.run>>;
    try {
      record = await f.runner.run("database", { trigger: "manual" });
    } finally {
      total = await writer.stop();
    }
    expect(record.error).toBeNull();
    expect(record.status).toBe("succeeded");
    expect(record.verified).toBe(true);
    const tables = (await readManifest(record.location as string)).source.database?.tables ?? {};
    // One snapshot: every transaction is in it whole or not at all.
    expect(tables.ledger_a).toBe(tables.ledger_b);
    expect(tables.ledger_a).toBeGreaterThanOrEqual(500);
    // The writer kept going during and after the backup.
    expect(total).toBeGreaterThan(tables.ledger_a as number);

    const out = path.join(tempDir(), "restore");
    const restored = await restoreBackup(record, out, { pgTools: defaultPgTools });
    expect(restored.database?.tables).toEqual(tables);
  });
});
