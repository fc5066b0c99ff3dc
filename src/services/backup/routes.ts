import { toError, UserError } from "../../core/errors.js";
import { HttpError } from "../../http/http-error.js";
import { cursorText, cursorTime, pageOf, pageRequest } from "../../http/paging.js";
import { json, type Router } from "../../http/router.js";
import type { ServiceContext } from "../contract.js";
import {
  type BackupDeps,
  BackupNotFound,
  backupSchedule,
  JobBusy,
  type ListedBackup,
  listBackups,
  rotateNow,
  runBackupNow,
  verifyBackupNow,
} from "./actions.js";
import { progressReporter } from "./live-progress.js";
import { BACKUP_KINDS, type BackupKind } from "./manifest.js";
import { BackupMetrics } from "./metrics.js";
import { createBackupRunner } from "./runner.js";

/**
 * The backups over HTTP: the list, a run now (answered 202 as soon as its row exists; the run
 * goes on, its progress on /events), a verify, the schedule. Restore stays in the CLI: it
 * writes files on this machine and is run with the service stopped. Each route calls the same
 * action as its `steward backup` command (actions.ts).
 */
export function addBackupRoutes(router: Router, ctx: ServiceContext): void {
  // Runs started here hold the job's lease under their own owner name: a scheduled tick of
  // this very process then finds the lease taken, instead of renewing it as its own and
  // running alongside. (The name parses as an instance no heartbeat knows, so liveness is
  // judged by this machine's pid and the lease, as for `steward backup run`.)
  const apiCtx: ServiceContext = { ...ctx, instanceId: `${ctx.instanceId}:api` };
  const deps: BackupDeps = {
    ctx: apiCtx,
    runner: createBackupRunner(apiCtx, { metrics: new BackupMetrics(ctx.metrics.registry) }),
  };
  // The same owner name twice would renew, not refuse: one run per kind from here at a time.
  const going = new Set<BackupKind>();

  const start = (kind: BackupKind): Promise<string> => {
    if (going.has(kind)) return Promise.reject(new JobBusy(`a ${kind} backup started here is still going`));
    going.add(kind);
    const reporter = progressReporter(ctx, kind);
    return new Promise<string>((resolve, reject) => {
      runBackupNow(deps, kind, {
        signal: new AbortController().signal,
        onStart: (id) => {
          reporter.onStart(id);
          resolve(id);
        },
        onProgress: reporter.onProgress,
      })
        .then((record) => reporter.finished(record))
        .catch((error: unknown) => {
          // Before a row exists (the lease is taken) it is the answer; after, the row says it.
          reject(error);
          ctx.logger.warn({ kind, err: toError(error) }, "backup started over HTTP did not finish");
        })
        .finally(() => going.delete(kind));
    });
  };

  router
    .add({
      method: "GET",
      path: "/backups",
      handler: async (req) => {
        const kind = kindParam(req.query.get("kind") || undefined, false);
        const page = pageRequest(req.query);
        const before = page.after && { startedAt: cursorTime(page.after, "at"), id: cursorText(page.after, "id") };
        const rows = await listBackups(deps, { kind: kind as BackupKind | undefined, limit: page.limit + 1, before });
        return json(
          200,
          pageOf(rows, page.limit, (b) => ({ at: b.startedAt.getTime(), id: b.id }), backupJson),
        );
      },
    })
    .add({
      method: "POST",
      path: "/backups",
      admin: true,
      maxBodyBytes: 4096,
      handler: async (req) => {
        const body = await req.json();
        const kind = kindParam((body as { kind?: unknown } | null)?.kind, true);
        try {
          if (kind === "rotation") {
            const result = await rotateNow(deps, new AbortController().signal);
            return json(200, { kind, removed: result.removed.map((r) => r.id), kept: result.kept });
          }
          const id = await start(kind);
          return json(202, { id, kind, status: "running" });
        } catch (error) {
          if (error instanceof JobBusy) throw new HttpError(409, error.message);
          throw error;
        }
      },
    })
    .add({
      method: "POST",
      path: "/backups/:id/verify",
      admin: true,
      handler: async (req) => {
        try {
          const { record, error } = await verifyBackupNow(deps, req.params.id ?? "");
          return json(200, { id: record.id, verified: error === null, error });
        } catch (error) {
          if (error instanceof BackupNotFound) throw new HttpError(404, error.message);
          if (error instanceof UserError) throw new HttpError(409, error.message);
          throw error;
        }
      },
    })
    .add({
      method: "GET",
      path: "/backups/schedule",
      handler: (req) => {
        const raw = req.query.get("count") ?? "5";
        const count = Number(raw);
        if (!Number.isInteger(count) || count < 1 || count > 50) {
          throw new HttpError(400, `count: a whole number from 1 to 50, not "${raw}"`);
        }
        const jobs = backupSchedule(ctx.config.backup, ctx.clock.now(), count).map((j) => ({
          name: j.job,
          enabled: j.enabled,
          schedule: j.schedule,
          timezone: j.timezone,
          nextRuns: j.next.map((d) => d.toISOString()),
        }));
        return json(200, { jobs });
      },
    });
}

function kindParam(value: unknown, rotation: true): BackupKind | "rotation";
function kindParam(value: unknown, rotation: false): BackupKind | undefined;
function kindParam(value: unknown, rotation: boolean): BackupKind | "rotation" | undefined {
  const allowed: string[] = rotation ? [...BACKUP_KINDS, "rotation"] : [...BACKUP_KINDS];
  if (value === undefined && !rotation) return undefined;
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw new HttpError(400, `kind: one of ${allowed.join(", ")}, not ${JSON.stringify(value ?? null)}`);
  }
  return value as BackupKind | "rotation";
}

/** A backup as the API answers it. */
function backupJson(b: ListedBackup) {
  return {
    id: b.id,
    kind: b.kind,
    status: b.status,
    trigger: b.trigger,
    startedAt: b.startedAt.toISOString(),
    finishedAt: b.finishedAt?.toISOString() ?? null,
    durationMs: b.finishedAt ? b.finishedAt.getTime() - b.startedAt.getTime() : null,
    sizeBytes: b.bytes,
    verified: b.verified,
    verifiedAt: b.verifiedAt?.toISOString() ?? null,
    location: b.location,
    error: b.error,
    instance: b.instance,
  };
}
