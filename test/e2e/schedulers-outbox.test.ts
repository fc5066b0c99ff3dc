import fs from "node:fs";
import path from "node:path";
import { simpleParser } from "mailparser";
import { afterEach, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../src/db/open.js";
import type { Row } from "../../src/db/sql.js";
import { fromJson } from "../../src/db/sql.js";
import { tempDir } from "../helpers/db.js";
import { baseEnv, runSteward, StewardProcess } from "../helpers/steward-process.js";
import { waitFor } from "../helpers/wait.js";

/**
 * The notices of both schedulers, from a demo database to readable messages in
 * DATA_DIR/outbox. It needs the email queue's worker and outbox writer, which come from the
 * email queue's branch: until that is merged this test fails by timing out on the outbox.
 */
describe("scheduler notices in the outbox", () => {
  let proc: StewardProcess | undefined;
  let db: Database | undefined;
  afterEach(async () => {
    await proc?.stop();
    await db?.close();
  });

  it("turns the queued lifecycle and video notices into readable .eml files", async () => {
    const cwd = tempDir();
    const dataDir = path.join(cwd, "data");
    const env = baseEnv({ DATA_DIR: dataDir, LIFECYCLE_SCHEDULER_ENABLED: "false", VIDEO_SCHEDULER_ENABLED: "false" });
    for (const args of [["migrate"], ["demo"], ["run", "lifecycle"], ["run", "video"]]) {
      const result = await runSteward(args, { env, cwd });
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
    }
    db = openDatabase({ dialect: "sqlite", file: path.join(dataDir, "steward.db") });
    const jobs = await db.sql.all<Row>("select id, to_addrs, template_id from email_jobs");
    expect(jobs).toHaveLength(8);

    proc = new StewardProcess({ env, cwd });
    await proc.ready();
    const outbox = path.join(dataDir, "outbox");
    // A signal on disk, polled: the outbox holds one .eml per job.
    const files = await waitFor(() => emlFiles(outbox).length >= jobs.length && emlFiles(outbox), {
      what: `${jobs.length} .eml files in ${outbox}`,
      everyMs: 100,
    });
    const messages = await Promise.all(files.map(async (f) => simpleParser(fs.readFileSync(f))));
    const byRecipient = (to: string) => messages.filter((m) => JSON.stringify(m.to).includes(to));

    for (const job of jobs) {
      const [to] = fromJson<string[]>(job.to_addrs, []);
      expect(byRecipient(to ?? "").length, `a message to ${to}`).toBeGreaterThan(0);
    }
    for (const m of messages) {
      expect(m.subject ?? "").not.toBe("");
      expect(`${m.subject} ${m.text} ${m.html}`).not.toMatch(/\{\{|\}\}/);
    }
    const sixDays = messages.find((m) => m.subject?.includes("Ends in six days"));
    expect(sixDays?.subject).toMatch(/^Portrait "Ends in six days": subscription ends within 7 days \(.* UTC\)$/);
    expect(sixDays?.text).toMatch(
      /The subscription of the portrait "Ends in six days" ends on .* UTC, in 7 days or less\./,
    );
    const entrance = byRecipient("harbor@example.com").find((m) => m.subject?.includes("Entrance hall"));
    expect(entrance?.text).toMatch(/"Opening week" \(demo-entrance-opening\): hidden -> shown, shown by its schedule/);
    expect(entrance?.text).toMatch(
      /"Winter show" \(demo-entrance-winter\): hidden -> archived, archived after its end/,
    );
  });
});

/** The .eml files the outbox holds so far. */
function emlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith(".eml"))
    .map((f) => path.join(dir, f));
}
