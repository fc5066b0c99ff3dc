import { afterEach, beforeEach, expect, it } from "vitest";
import { FakeClock } from "../fakes/fake-clock.js";
import { runCliHere } from "../helpers/cli.js";
import { describeEachDialect, type TestDb, tempDir } from "../helpers/db.js";

const NOW = "2026-03-10T12:00:00.000Z";
const DAY = 86_400_000;
// Each portrait ends 8 to 27 days from now, so all three of its notices fall in the next 30 days.
const PORTRAITS = 66_667;
const NOTICES = 3 * PORTRAITS;

/**
 * `steward lifecycle plan --days 30` over 200,001 planned notices: it crashed with "Maximum call
 * stack size exceeded" above about 150,000 (the table's widths spread one argument per row).
 */
describeEachDialect("lifecycle plan on a large database", (dialect, makeDb) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await makeDb();
    // One statement for all the rows: a row at a time would take minutes.
    const start = Date.parse(NOW) + 8 * DAY;
    if (dialect === "pg") {
      await t.db.sql.run(
        `insert into portraits (id, title, owner_email, subscription_end)
         select 'p' || lpad(i::text, 6, '0'), 'Portrait', 'owner@example.com',
                ?::timestamptz + (i % 20) * interval '1 day' + i * interval '1 millisecond'
         from generate_series(1, ${PORTRAITS}) i`,
        [new Date(start)],
      );
    } else {
      await t.db.sql.run(
        `with recursive s(i) as (select 1 union all select i + 1 from s where i < ${PORTRAITS})
         insert into portraits (id, title, owner_email, subscription_end)
         select printf('p%06d', i), 'Portrait', 'owner@example.com', ? + (i % 20) * ${DAY} + i from s`,
        [start],
      );
    }
  }, 120_000);
  afterEach(async () => {
    await t.cleanup();
  });

  it("lists every notice, as a table and as JSON", async () => {
    const cwd = tempDir();
    const options = { env: { DATABASE_URL: t.url, DATA_DIR: cwd }, cwd, clock: new FakeClock(NOW) };
    const text = await runCliHere(["lifecycle", "plan", "--days", "30"], options);
    expect(text.stderr).toBe("");
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(1 + NOTICES + 1);
    expect(lines[0]).toMatch(/^DUE +KIND +SUBJECT +RECIPIENT +SUBSCRIPTION END$/);
    expect(lines[1]).toMatch(/^2026-03-11T12:00:00\.\d{3}Z +7day +portrait:p\d{6} +owner@example\.com/);
    expect(lines.at(-1)).toBe(`${NOTICES} notice(s) in the next 30 day(s)`);

    const json = await runCliHere(["lifecycle", "plan", "--days", "30", "--json"], options);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { from: string; days: number; notices: Array<{ kind: string }> };
    expect(parsed.from).toBe(NOW);
    expect(parsed.days).toBe(30);
    expect(parsed.notices).toHaveLength(NOTICES);
    const kinds: Record<string, number> = {};
    for (const n of parsed.notices) kinds[n.kind] = (kinds[n.kind] ?? 0) + 1;
    expect(kinds).toEqual({ "7day": PORTRAITS, "24hour": PORTRAITS, expired: PORTRAITS });
  }, 300_000);
});
