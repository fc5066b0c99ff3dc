import type { Config } from "../../config/load.js";
import { toError, UserError } from "../../core/errors.js";
import { SqlServiceStateStore } from "../../db/coordination/service-state.js";
import type { Database } from "../../db/open.js";
import { enqueueOptionsFor } from "../../services/email/index.js";
import { type ImportPlan, planImport } from "./plan.js";
import { buildReport, type ImportReport } from "./report.js";
import { readSeed } from "./seed.js";
import { writePlan } from "./write.js";

export interface ReadOptions {
  /** The Vertex AR SQLite file; opened read-only. */
  from: string;
  includeSent: boolean;
  /** A repeated import that carries the app's changes to rows already there (sync.ts). */
  sync: boolean;
  now: Date;
  config: Config;
}

export interface ImportOptions {
  from: string;
  plan: ImportPlan;
  /** Do everything in a transaction that is rolled back: the report is exact, nothing is kept. */
  dryRun: boolean;
  sync: boolean;
  now: Date;
  config: Config;
  db: Database;
}

/**
 * The first half of `steward import vertex-ar`, before Steward's database is opened: reads the
 * seed (refusing what is not Vertex AR's database, or is Steward's own) and plans Steward's rows,
 * so a refused file leaves no new database behind.
 */
export function readVertexAr(o: ReadOptions): ImportPlan {
  const target = o.config.database.target;
  const seed = readSeed(o.from, {
    file: target.dialect === "sqlite" ? target.file : null,
    display: o.config.database.display,
  });
  const retentionDays = o.config.email.retentionDays;
  return planImport(seed, {
    now: o.now,
    includeSent: o.includeSent,
    // Steward's cleanup deletes a job, and with it its idempotency key, after EMAIL_RETENTION_DAYS;
    // the seed's row stays pending for good. A sync every minute would then import it again and
    // send it twice, so a sync leaves older mail to the first import.
    mailSince: o.sync && retentionDays > 0 ? new Date(o.now.getTime() - retentionDays * 86_400_000) : null,
  });
}

/** Thrown to roll the dry run's transaction back once its report is read. */
class DryRunRollback extends Error {}

/** The second half: writes the plan in one transaction, all or none, and reports. */
export async function importVertexAr(o: ImportOptions): Promise<ImportReport> {
  const { plan } = o;
  let report: ImportReport | undefined;
  try {
    await o.db.sql.tx(async (tx) => {
      const written = await writePlan(tx, plan, enqueueOptionsFor(o.config.email, o.now), o.sync);
      // A running Steward acts on the imported rows at once, not an interval after its last pass.
      // Only when something was written: a sync every minute that finds nothing new must not
      // force both passes every minute.
      const wrote = Object.values(written.imported).some((n) => n > 0) || (o.sync && written.differing.length > 0);
      const state = new SqlServiceStateStore(tx);
      if (wrote) for (const service of ["lifecycle", "video"]) await state.dueNow(service, o.now);
      report = await buildReport(
        tx,
        plan,
        written,
        { from: o.from, into: o.config.database.display, dryRun: o.dryRun, sync: o.sync },
        {
          now: o.now,
          expiredNoticeDays: o.config.lifecycle.expiredNoticeDays,
          notificationsEnabled: o.config.lifecycle.notificationsEnabled,
          rotationIntervalMs: o.config.video.rotationIntervalMs,
          archiveAfterMs: o.config.video.archiveAfterMs,
        },
      );
      if (o.dryRun) throw new DryRunRollback();
    });
  } catch (error) {
    if (!(error instanceof DryRunRollback)) {
      // The transaction was rolled back: say so, in one line, since that is what the user needs to know.
      throw new UserError(`the import was rolled back, nothing was written: ${toError(error).message}`);
    }
  }
  if (!report) throw new Error("the import wrote no report");
  return report;
}
