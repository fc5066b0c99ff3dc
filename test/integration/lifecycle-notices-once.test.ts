import { afterEach, beforeEach, expect, it } from "vitest";
import type { LifecycleConfig } from "../../src/config/schedulers.js";
import { createLogger } from "../../src/core/logger.js";
import type { Row, Sql } from "../../src/db/sql.js";
import { toNumber } from "../../src/db/sql.js";
import { enqueueEmail } from "../../src/services/email/enqueue/enqueue.js";
import type { Enqueue } from "../../src/services/email/index.js";
import type { NoticeCandidate } from "../../src/services/lifecycle/notice-email.js";
import { LifecyclePass, type LifecycleSummary } from "../../src/services/lifecycle/pass.js";
import { LifecycleStore } from "../../src/services/lifecycle/store.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { describeEachDialect, type TestDb } from "../helpers/db.js";

const H = 3_600_000;
const D = 24 * H;
const START = "2026-03-10T12:00:00.000Z";
const logger = createLogger({ level: "silent", format: "json", secrets: [] });
const CONFIG: LifecycleConfig = { enabled: true, intervalMs: H, notificationsEnabled: true, expiredNoticeDays: 30 };
// Each boundary is crossed at START: the 7-day one by p, the 24-hour one by q, the end by r.
const ENDS = { p: 7 * D, q: D, r: 0 };
const EXPECTED = ["p:7day", "q:24hour", "q:7day", "r:24hour", "r:expired"];

/**
 * Each (subject, kind) gets one notice row and one email, however many passes see it due and
 * however they interleave. The email's idempotency key would hide a second enqueue in the row
 * counts, so every enqueue is counted too: a pass that takes an existing notice for its own
 * (say, an insert that answers the id already there) would queue the email a second time.
 */
describeEachDialect("lifecycle notices, once per subject and kind", (dialect, makeDb) => {
  let t: TestDb;
  let clock: FakeClock;
  let enqueued: string[];
  const counting: Enqueue = async (sql, input, options) => {
    enqueued.push(String(input.idempotencyKey));
    return enqueueEmail(sql, input, options);
  };

  beforeEach(async () => {
    t = await makeDb();
    clock = new FakeClock(START);
    enqueued = [];
    for (const [id, offset] of Object.entries(ENDS)) {
      await t.db.sql.run("insert into portraits (id, title, owner_email, subscription_end) values (?, ?, ?, ?)", [
        id,
        `Portrait ${id}`,
        `${id}@example.com`,
        new Date(Date.parse(START) + offset),
      ]);
    }
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const pass = (sql: Sql) =>
    new LifecyclePass({ sql, clock, logger, config: CONFIG, enqueue: counting }).run(new AbortController().signal);
  const sent = (summaries: LifecycleSummary[]) =>
    summaries.reduce((n, s) => n + s.notices["7day"] + s.notices["24hour"] + s.notices.expired, 0);

  async function expectOnceEach(): Promise<void> {
    const notices = await t.db.sql.all<Row>(
      "select subject_id, kind, email_job_id from lifecycle_notices order by subject_id, kind",
    );
    expect(notices.map((n) => `${n.subject_id}:${n.kind}`)).toEqual(EXPECTED);
    const jobs = await t.db.sql.all<Row>("select id, to_addrs from email_jobs");
    expect(jobs).toHaveLength(EXPECTED.length);
    // Each notice points at its own job.
    expect(new Set(notices.map((n) => n.email_job_id))).toEqual(new Set(jobs.map((j) => String(j.id))));
    expect(enqueued).toHaveLength(EXPECTED.length);
    expect(new Set(enqueued).size).toBe(EXPECTED.length);
  }

  it("repeated passes by two runners over the boundaries queue each notice and email once", async () => {
    const other = await t.another();
    const summaries: LifecycleSummary[] = [];
    for (const offset of [-1, 0, 1, H]) {
      clock.set(new Date(Date.parse(START) + offset));
      for (const sql of [t.db.sql, other.sql, t.db.sql, other.sql]) summaries.push(await pass(sql));
    }
    await expectOnceEach();
    expect(sent(summaries)).toBe(EXPECTED.length);
  });

  it("two passes racing over the same due subjects queue each notice and email once", async () => {
    // Both read every page of candidates before either writes: each window's reads meet at a
    // rendezvous. On PostgreSQL the two run on two connections (the loser's insert waits for the
    // winner's commit); on SQLite on one (its transactions queue in the executor; two
    // connections in one process would block each other's thread on the file lock).
    const second = dialect === "pg" ? (await t.another()).sql : t.db.sql;
    const summaries: LifecycleSummary[] = [];
    // Just before the boundaries (q's 7-day and r's 24-hour notices are due), then on them.
    for (const offset of [-1, 0]) {
      clock.set(new Date(Date.parse(START) + offset));
      const meet = rendezvous(2);
      summaries.push(
        ...(await Promise.all([pass(new MeetingSql(t.db.sql, meet)), pass(new MeetingSql(second, meet))])),
      );
      expect(meet.met()).toBe(6); // three windows, two subject tables
    }
    await expectOnceEach();
    expect(sent(summaries)).toBe(EXPECTED.length);
  });

  it("records a notice once: a second insert of its key returns no id", async () => {
    const candidate: NoticeCandidate = {
      subjectType: "portrait",
      subjectId: "p",
      subscriptionEnd: new Date(Date.parse(START) + ENDS.p),
      recipient: "p@example.com",
      subjectName: "Portrait p",
      projectName: null,
    };
    const now = clock.now();
    const first = await t.db.sql.tx((tx) => LifecycleStore.insertNotice(tx, candidate, "7day", now));
    expect(first).toEqual(expect.any(Number));
    const again = await t.db.sql.tx((tx) => LifecycleStore.insertNotice(tx, candidate, "7day", now));
    expect(again).toBeUndefined();
    const rows = await t.db.sql.get<Row>("select count(*) as n from lifecycle_notices");
    expect(toNumber(rows?.n)).toBe(1);
  });
});

interface Rendezvous {
  /** Resolves once every party has arrived at meeting `k`. */
  arrive(k: number): Promise<void>;
  met(): number;
}

function rendezvous(parties: number): Rendezvous {
  const meetings = new Map<number, { count: number; done: Promise<void>; release: () => void }>();
  let met = 0;
  return {
    arrive(k) {
      let meeting = meetings.get(k);
      if (!meeting) {
        let release!: () => void;
        const done = new Promise<void>((resolve) => {
          release = resolve;
        });
        meeting = { count: 0, done, release };
        meetings.set(k, meeting);
      }
      meeting.count += 1;
      if (meeting.count === parties) {
        met += 1;
        meeting.release();
      }
      return meeting.done;
    },
    met: () => met,
  };
}

/** Passes everything through; after each read of notice candidates, waits for the other pass's. */
class MeetingSql implements Sql {
  readonly dialect: Sql["dialect"];
  private reads = 0;
  constructor(
    private readonly inner: Sql,
    private readonly meet: Rendezvous,
  ) {
    this.dialect = inner.dialect;
  }

  async all<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]> {
    const rows = await this.inner.all<T>(text, params);
    if (text.includes("not exists (select 1 from lifecycle_notices")) await this.meet.arrive(this.reads++);
    return rows;
  }
  get<T = Row>(text: string, params?: readonly unknown[]): Promise<T | undefined> {
    return this.inner.get<T>(text, params);
  }
  run(text: string, params?: readonly unknown[]): Promise<number> {
    return this.inner.run(text, params);
  }
  tx<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return this.inner.tx(fn);
  }
}
