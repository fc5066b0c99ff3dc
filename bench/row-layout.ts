/**
 * `npm run bench -- row-layout [--jobs 20000] [--one 3000] [--reps 3] [--body-bytes 30,4000]`:
 * what the email_jobs row costs on SQLite as Steward's migrations leave it (an integer key, since
 * sqlite 0014), beside other layouts, each built from the migrated file by rewriting only that
 * table (its indexes and counting triggers kept):
 *  - text key: the text UUIDv7 key the table had before sqlite 0014, with its own b-tree;
 *  - message apart: the message columns (addresses, subject, bodies, template, headers) in
 *    `email_messages`, keyed by the job's id, written once; the claim reads them;
 *  - text key, message apart: both of the above (the message table WITHOUT ROWID);
 *  - text key, without rowid: the table clustered on its UUID, so it has one b-tree, not two;
 *  - autoincrement: the integer key with AUTOINCREMENT, ids never reused, at the price of
 *    sqlite_sequence's row.
 * Per layout and message size, in µs a job: an enqueue committed alone (the outbox pattern), and
 * a claim and a settle in batches of 256 (the worker pool's shape on a backlog), each in its own
 * BEGIN IMMEDIATE. The layouts run in turn, `--reps` times; medians, and each beside the layout
 * as migrated (below 1: cheaper).
 *
 * It measures the storage only: the statements are the claim's and settle's shapes, not the
 * store's own text, so that the four layouts run the same SQL apart from the key and the join.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import Sqlite from "better-sqlite3";
import { uuidv7 } from "../src/core/ids.js";
import { migrate } from "../src/db/migrate.js";
import { openDatabase } from "../src/db/open.js";
import { MESSAGE_COLUMNS } from "../src/services/email/store/job.js";

/** The message's columns: what the job carries apart from its key and its place in the queue. */
const MESSAGE = MESSAGE_COLUMNS.filter((c) => c !== "id" && c !== "priority");

interface Layout {
  name: string;
  integerKey: boolean;
  messageApart: boolean;
  withoutRowid?: boolean;
  autoincrement?: boolean;
}

const LAYOUTS: Layout[] = [
  { name: "as migrated", integerKey: true, messageApart: false },
  { name: "text key", integerKey: false, messageApart: false },
  { name: "message apart", integerKey: true, messageApart: true },
  { name: "text key, message apart", integerKey: false, messageApart: true },
  { name: "text key, without rowid", integerKey: false, messageApart: false, withoutRowid: true },
  { name: "autoincrement", integerKey: true, messageApart: false, autoincrement: true },
];

const BATCH = 256;
const HOLDER = `bench-${uuidv7()}`;

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
}

/** email_jobs rebuilt in `layout`, with the indexes and triggers it had. */
function reshape(db: Sqlite.Database, layout: Layout): void {
  const table = (db.prepare("select sql from sqlite_master where name = 'email_jobs'").get() as { sql: string }).sql;
  const others = (
    db
      .prepare(
        "select sql from sqlite_master where tbl_name = 'email_jobs' and type in ('index', 'trigger') and sql is not null",
      )
      .all() as Array<{ sql: string }>
  ).map((r) => r.sql);
  let text = table;
  if (!layout.integerKey) text = text.replace("`id` integer PRIMARY KEY NOT NULL", "`id` text PRIMARY KEY NOT NULL");
  if (layout.autoincrement)
    text = text.replace("`id` integer PRIMARY KEY NOT NULL", "`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL");
  if (layout.withoutRowid) text = `${text} WITHOUT ROWID`;
  if (layout.messageApart) for (const c of MESSAGE) text = text.replace(new RegExp(`\\s*\`${c}\` [^,]*,`), "");
  if (text === table && (!layout.integerKey || layout.messageApart || layout.autoincrement))
    throw new Error(`could not reshape email_jobs for ${layout.name}`);
  db.exec("drop table email_jobs");
  db.exec(text);
  for (const sql of others) db.exec(sql);
  if (layout.messageApart) {
    const key = layout.integerKey ? "job integer primary key" : "job text primary key";
    db.exec(
      `create table email_messages (${key}, ${MESSAGE.map((c) => `${c} text`).join(", ")})${layout.integerKey ? "" : " without rowid"}`,
    );
  }
}

/** The procedures one layout runs: the same statements but for the key and the message's table. */
function procedures(db: Sqlite.Database, layout: Layout, body: string) {
  const queue = ["priority", "status", "attempts", "run_at", "message_id", "created_at", "updated_at"];
  const jobColumns = [...(layout.integerKey ? [] : ["id"]), ...(layout.messageApart ? [] : MESSAGE), ...queue];
  const insertJob = db.prepare(
    `insert into email_jobs (${jobColumns.join(", ")}) values (${jobColumns.map(() => "?").join(", ")})`,
  );
  const insertMessage = layout.messageApart
    ? db.prepare(`insert into email_messages (job, ${MESSAGE.join(", ")}) values (?${", ?".repeat(MESSAGE.length)})`)
    : undefined;
  const message = ['["reader@example.com"]', "[]", "[]", null, null, "welcome", body, null, null, null, null];
  const enqueue = db.transaction(() => {
    const now = Date.now() - 1000;
    const id = uuidv7();
    // Same length in every layout: the claim then neither grows nor shrinks it by this column.
    const values = [
      ...(layout.messageApart ? [] : message),
      0,
      "pending",
      0,
      now,
      `<${id}@bench.steward.test>`,
      now,
      now,
    ];
    const { lastInsertRowid } = insertJob.run(layout.integerKey ? values : [id, ...values]);
    insertMessage?.run(layout.integerKey ? lastInsertRowid : id, ...message);
  });
  const key = layout.integerKey || layout.withoutRowid ? "id" : "rowid";
  const due = db
    .prepare(
      `select ${key} from email_jobs where status = 'pending' and priority = 0 and run_at <= ? order by run_at limit ?`,
    )
    .pluck(true);
  const returned = [
    "id",
    "priority",
    "attempts",
    "run_at",
    "message_id",
    "created_at",
    ...(layout.messageApart ? [] : MESSAGE),
  ];
  const take = db
    .prepare(`update email_jobs set status = 'sending', lease_holder = ?, lease_expires_at = ?, attempts = attempts + 1,
        updated_at = ? where ${key} in (select value from json_each(?)) and +status = 'pending' returning ${returned.join(", ")}`)
    .raw(true);
  const read = layout.messageApart
    ? db.prepare(`select * from email_messages where job in (select value from json_each(?))`).raw(true)
    : undefined;
  const claim = db.transaction((at: number) => {
    const chosen = due.all(at, BATCH);
    if (chosen.length === 0) return [] as unknown[][];
    const rows = take.all(HOLDER, at + 60_000, at, JSON.stringify(chosen)) as unknown[][];
    if (!read) return rows;
    const messages = new Map((read.all(JSON.stringify(rows.map((r) => r[0]))) as unknown[][]).map((m) => [m[0], m]));
    return rows.map((r) => [...r, ...(messages.get(r[0]) ?? [])]);
  });
  const settleMany =
    db.prepare(`update email_jobs set status = 'sent', sent_at = v.value ->> 1, updated_at = v.value ->> 1,
      last_smtp_code = 250, lease_holder = null, lease_expires_at = null
    from json_each(?) as v where email_jobs.id = v.value ->> 0 and lease_holder = ? and +status = 'sending'`);
  const settle = db.transaction((ids: unknown[], at: number) => {
    const changed = settleMany.run(JSON.stringify(ids.map((id) => [id, at])), HOLDER).changes;
    if (changed !== ids.length) throw new Error(`settled ${changed} of ${ids.length}`);
  });
  return { enqueue, claim, settle };
}

interface Figures {
  enqueue: number;
  claim: number;
  settle: number;
}

function measure(base: string, dir: string, layout: Layout, body: string, jobs: number, one: number): Figures {
  const file = path.join(dir, "layout.db");
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  fs.copyFileSync(base, file);
  const db = new Sqlite(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    reshape(db, layout);
    const run = procedures(db, layout, body);
    let t = performance.now();
    for (let i = 0; i < one; i += 1) run.enqueue.immediate();
    const enqueue = ((performance.now() - t) * 1000) / one;
    db.transaction(() => {
      for (let i = one; i < jobs; i += 1) run.enqueue();
    })();
    let claimMs = 0;
    let settleMs = 0;
    let claimed = 0;
    for (;;) {
      t = performance.now();
      const rows = run.claim.immediate(Date.now());
      claimMs += performance.now() - t;
      if (rows.length === 0) break;
      claimed += rows.length;
      t = performance.now();
      run.settle.immediate(
        rows.map((r) => r[0]),
        Date.now(),
      );
      settleMs += performance.now() - t;
    }
    if (claimed !== jobs) throw new Error(`${layout.name}: claimed ${claimed} of ${jobs}`);
    return { enqueue, claim: (claimMs * 1000) / jobs, settle: (settleMs * 1000) / jobs };
  } finally {
    db.close();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

export async function run(args: string[]): Promise<void> {
  const jobs = Number(option(args, "--jobs", "20000"));
  const one = Math.min(jobs, Number(option(args, "--one", "3000")));
  const reps = Number(option(args, "--reps", "3"));
  const sizes = option(args, "--body-bytes", "30,4000").split(",").map(Number);
  if (![jobs, one, reps, ...sizes].every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error("--jobs, --one, --reps and --body-bytes take positive whole numbers");
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steward-row-layout-"));
  try {
    const base = path.join(dir, "migrated.db");
    const db = openDatabase({ dialect: "sqlite", file: base });
    await migrate(db);
    await db.close();
    console.log(
      `email_jobs row layouts on SQLite: ${jobs.toLocaleString("en-US")} jobs, ${one.toLocaleString("en-US")} enqueued one by one, ` +
        `median of ${reps}; load average ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(" ")}`,
    );
    for (const size of sizes) {
      const body = "x".repeat(size);
      const runs = LAYOUTS.map(() => [] as Figures[]);
      for (let rep = 0; rep < reps; rep += 1) {
        for (const [i, layout] of LAYOUTS.entries()) runs[i]?.push(measure(base, dir, layout, body, jobs, one));
      }
      const figures = runs.map((r) => ({
        enqueue: median(r.map((f) => f.enqueue)),
        claim: median(r.map((f) => f.claim)),
        settle: median(r.map((f) => f.settle)),
      }));
      const first = figures[0] as Figures;
      const cell = (value: number, of: number) => `${value.toFixed(1)} (${(value / of).toFixed(2)})`.padStart(14);
      console.log(
        `\n  text body of ${size.toLocaleString("en-US")} bytes, µs a job    enqueue 1-by-1       claim      settle`,
      );
      for (const [i, layout] of LAYOUTS.entries()) {
        const f = figures[i] as Figures;
        console.log(
          `  ${layout.name.padEnd(36)} ${cell(f.enqueue, first.enqueue)} ${cell(f.claim, first.claim)} ${cell(f.settle, first.settle)}`,
        );
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
