import type { PersistedServiceState, RunRecord, ServiceState, ServiceStateStore } from "../../core/service.js";
import type { Sql } from "../sql.js";
import { fromJson, jsonParam, toDate, toNumber } from "../sql.js";

/**
 * Each service's last run, last success, last error and counts, shared by every process so
 * that status survives a restart and any process can show the cluster's view. Counts are
 * incremented in SQL, so two processes recording runs at once lose neither.
 */
export class SqlServiceStateStore implements ServiceStateStore {
  constructor(private readonly sql: Sql) {}

  async load(service: string): Promise<PersistedServiceState | undefined> {
    const row = await this.sql.get<Record<string, unknown>>("select * from service_state where service = ?", [service]);
    return row ? mapRow(row) : undefined;
  }

  async list(): Promise<PersistedServiceState[]> {
    const rows = await this.sql.all<Record<string, unknown>>("select * from service_state order by service");
    return rows.map(mapRow);
  }

  async setState(service: string, state: ServiceState, instance: string, now: Date): Promise<void> {
    await this.sql.tx(async (tx) => {
      await tx.run(
        `insert into service_state (service, state, last_instance, updated_at) values (?, ?, ?, ?)
         on conflict (service) do update set state = excluded.state,
           last_instance = excluded.last_instance, updated_at = excluded.updated_at`,
        [service, state, instance, now],
      );
      await tx.run(
        `insert into service_instance_state (service, instance, state, updated_at) values (?, ?, ?, ?)
         on conflict (service, instance) do update set state = excluded.state, updated_at = excluded.updated_at`,
        [service, instance, state, now],
      );
    });
  }

  /** Each live instance's state of each service (live: heartbeat since `since`, not stopped). */
  async liveStates(since: Date): Promise<Array<{ service: string; instance: string; state: ServiceState }>> {
    return this.sql.all(
      `select s.service, s.instance, s.state from service_instance_state s
       join instances i on i.id = s.instance
       where i.stopped_at is null and i.heartbeat_at >= ?
       order by s.service, s.instance`,
      [since],
    );
  }

  /** Makes the service's next pass due at once, wherever it runs (`steward demo`). */
  async dueNow(service: string, now: Date): Promise<void> {
    await this.sql.run(
      "update service_state set last_run_at = null, next_run_at = ?, consecutive_failures = 0 where service = ?",
      [now, service],
    );
  }

  async recordRun(service: string, run: RunRecord): Promise<PersistedServiceState> {
    const failed = run.error ? 1 : 0;
    const row = await this.sql.get<Record<string, unknown>>(
      `insert into service_state (service, state, last_instance, last_run_at, last_success_at, last_error,
         last_error_at, next_run_at, runs, failures, consecutive_failures, details, updated_at)
       values (?, coalesce(?, 'stopped'), ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)
       on conflict (service) do update set
         state = coalesce(?, service_state.state),
         last_instance = excluded.last_instance,
         last_run_at = excluded.last_run_at,
         last_success_at = coalesce(excluded.last_success_at, service_state.last_success_at),
         last_error = coalesce(excluded.last_error, service_state.last_error),
         last_error_at = coalesce(excluded.last_error_at, service_state.last_error_at),
         next_run_at = case when cast(? as text) is null then service_state.next_run_at else excluded.next_run_at end,
         runs = service_state.runs + 1,
         failures = service_state.failures + excluded.failures,
         consecutive_failures = case when excluded.failures = 0 then 0
                                     else service_state.consecutive_failures + 1 end,
         details = coalesce(excluded.details, service_state.details),
         updated_at = excluded.updated_at
       returning *`,
      [
        service,
        run.state,
        run.instance,
        run.at,
        failed ? null : run.at,
        run.error?.message ?? null,
        run.error ? run.at : null,
        run.nextRunAt,
        failed,
        failed,
        jsonParam(run.details),
        run.at,
        run.state,
        run.state,
      ],
    );
    return mapRow(row as Record<string, unknown>);
  }
}

function mapRow(row: Record<string, unknown>): PersistedServiceState {
  return {
    service: String(row.service),
    state: row.state as ServiceState,
    lastInstance: (row.last_instance as string | null) ?? null,
    lastRunAt: toDate(row.last_run_at),
    lastSuccessAt: toDate(row.last_success_at),
    lastError: row.last_error ? { message: String(row.last_error), at: toDate(row.last_error_at) } : null,
    nextRunAt: toDate(row.next_run_at),
    runs: toNumber(row.runs),
    failures: toNumber(row.failures),
    consecutiveFailures: toNumber(row.consecutive_failures),
    details: fromJson<Record<string, unknown> | null>(row.details, null),
    updatedAt: toDate(row.updated_at),
  };
}
