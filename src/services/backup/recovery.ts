import fs from "node:fs";
import path from "node:path";
import type { Clock } from "../../core/clock.js";
import { toError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { InstanceStore } from "../../db/coordination/instances.js";
import type { LeaseStore } from "../../db/coordination/leases.js";
import { BACKUP_JOBS } from "./manifest.js";
import { ownerDeadHere, parseOwner } from "./run-owner.js";
import { TEMP_PREFIX } from "./runner.js";
import type { BackupRecord, BackupStore } from "./store.js";

export const INTERRUPTED = "interrupted: the process running it stopped (killed or crashed) before it finished";

/** The lease a job's runs hold; also its tick-claim key. */
export function jobLeaseName(job: string): string {
  return `backup:${job}`;
}

/** What tells whether a run's process still lives: its job's lease, its pid here, its instance's heartbeats. */
export interface LivenessDeps {
  leases: LeaseStore;
  instances: InstanceStore;
  /** This machine: a run owned here is judged by its pid at once. */
  hostname: string;
  now: Date;
}

export interface RecoveryDeps extends Omit<LivenessDeps, "now"> {
  store: BackupStore;
  clock: Clock;
  logger: Logger;
  backupDir: string;
  /** This process as a run owner, and the runs it has going now. */
  owner: string;
  active: ReadonlySet<string>;
}

/** Four of the host's 15-second heartbeats, as the cluster list in /status counts a silent instance. */
const SILENT_MS = 60_000;

/**
 * True when the process that runs a `running` row is gone: it ran on this machine and its pid
 * is dead; or it no longer holds its job's lease, which it renews while it runs; or it is a
 * `steward start` whose instance has stopped or gone silent (sooner than a long LEASE_TTL).
 */
export async function runGone(row: BackupRecord, deps: LivenessDeps): Promise<boolean> {
  const owner = row.instance ?? "";
  if (ownerDeadHere(owner, deps.hostname)) return true;
  const lease = await deps.leases.get(jobLeaseName(row.kind));
  if (!lease || lease.holder !== owner || lease.expiresAt.getTime() <= deps.now.getTime()) return true;
  const parsed = parseOwner(owner);
  const instance = parsed ? await deps.instances.get(parsed.instanceId) : undefined;
  // Only the very process: a CLI run shares the server's INSTANCE_ID but has its own pid and no row.
  if (!parsed || !instance || instance.hostname !== parsed.hostname || instance.pid !== parsed.pid) return false;
  return instance.stoppedAt !== null || deps.now.getTime() - instance.heartbeatAt.getTime() > SILENT_MS;
}

/**
 * Run at start (the service, and each `backup run`): a `running` row whose process is gone
 * becomes `failed`, and temporary files nobody is writing are removed. A run is gone when its
 * owner is an earlier life of this very process, when it ran on this machine and its pid is
 * dead, or when it no longer holds its job's lease.
 */
export async function recoverInterrupted(deps: RecoveryDeps): Promise<{ failed: string[]; removed: string[] }> {
  const now = deps.clock.now();
  const failed: string[] = [];
  for (const row of await deps.store.list({ status: "running" })) {
    if (deps.active.has(row.id)) continue;
    const owner = row.instance ?? "";
    const dead = owner === deps.owner || (await runGone(row, { ...deps, now }));
    if (!dead) continue;
    if (!(await deps.store.fail(row.id, INTERRUPTED, now))) continue;
    // A dead holder frees the job at once instead of after the lease's TTL.
    await deps.leases.release(jobLeaseName(row.kind), owner);
    if (row.location) await fs.promises.rm(row.location, { recursive: true, force: true });
    failed.push(row.id);
    deps.logger.warn({ id: row.id, kind: row.kind, owner }, "backup interrupted by a dead process marked failed");
  }
  await releaseDeadHolders(deps);
  const running = new Set((await deps.store.list({ status: "running" })).map((r) => r.id));
  const removed = await removeTempFiles(deps, running);
  return { failed, removed };
}

/**
 * A job's lease held by a dead process here (killed before it wrote a row, or a rotation) would
 * make the job's ticks skips until the lease expired; it is given up at once instead.
 */
async function releaseDeadHolders(deps: RecoveryDeps): Promise<void> {
  for (const job of BACKUP_JOBS) {
    const lease = await deps.leases.get(jobLeaseName(job));
    if (!lease || (lease.holder !== deps.owner && !ownerDeadHere(lease.holder, deps.hostname))) continue;
    await deps.leases.release(jobLeaseName(job), lease.holder);
    deps.logger.info({ job, holder: lease.holder }, "released a backup job's lease held by a dead process");
  }
}

async function removeTempFiles(deps: RecoveryDeps, running: ReadonlySet<string>): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(deps.backupDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX) || !leftover(name.slice(TEMP_PREFIX.length), running, deps)) continue;
    const full = path.join(deps.backupDir, name);
    try {
      await fs.promises.rm(full, { recursive: true, force: true });
      removed.push(full);
    } catch (error) {
      deps.logger.warn({ path: full, err: toError(error) }, "could not remove a leftover temporary backup");
    }
  }
  if (removed.length > 0) deps.logger.info({ removed }, "removed leftover temporary backup files");
  return removed;
}

/** `.tmp-<id>` of a backup no longer running, or `.tmp-verify-<host>-<pid>-…` of a dead process here. */
function leftover(rest: string, running: ReadonlySet<string>, deps: RecoveryDeps): boolean {
  const verify = /^verify-(.+)-(\d+)-[^-]+$/.exec(rest);
  if (verify) return ownerDeadHere(`x/${verify[1]}/${verify[2]}`, deps.hostname);
  return !running.has(rest);
}
