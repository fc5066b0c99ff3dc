import type { Sql } from "../sql.js";
import { toDate, toNumber } from "../sql.js";

export interface InstanceInfo {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  startedAt: Date;
  heartbeatAt: Date;
  stoppedAt: Date | null;
}

/** Which Steward processes share this database, and when each last said it was alive. */
export class InstanceStore {
  constructor(private readonly sql: Sql) {}

  async register(info: Omit<InstanceInfo, "stoppedAt">): Promise<void> {
    await this.sql.run(
      `insert into instances (id, hostname, pid, version, started_at, heartbeat_at) values (?, ?, ?, ?, ?, ?)
       on conflict (id) do update set hostname = excluded.hostname, pid = excluded.pid,
         version = excluded.version, started_at = excluded.started_at,
         heartbeat_at = excluded.heartbeat_at, stopped_at = null`,
      [info.id, info.hostname, info.pid, info.version, info.startedAt, info.heartbeatAt],
    );
  }

  async heartbeat(id: string, now: Date): Promise<void> {
    await this.sql.run("update instances set heartbeat_at = ? where id = ?", [now, id]);
  }

  async markStopped(id: string, now: Date): Promise<void> {
    await this.sql.run("update instances set stopped_at = ?, heartbeat_at = ? where id = ?", [now, now, id]);
  }

  /** Instances that have not stopped and were heard from since `since`. */
  async alive(since: Date): Promise<InstanceInfo[]> {
    const rows = await this.sql.all<Record<string, unknown>>(
      "select * from instances where stopped_at is null and heartbeat_at >= ? order by id",
      [since],
    );
    return rows.map(toInfo);
  }

  async get(id: string): Promise<InstanceInfo | undefined> {
    const row = await this.sql.get<Record<string, unknown>>("select * from instances where id = ?", [id]);
    return row ? toInfo(row) : undefined;
  }

  /** Forget instances silent since `before` (hostname-pid ids pile up across restarts). */
  async prune(before: Date): Promise<number> {
    return this.sql.run("delete from instances where heartbeat_at < ?", [before]);
  }
}

function toInfo(row: Record<string, unknown>): InstanceInfo {
  return {
    id: String(row.id),
    hostname: String(row.hostname),
    pid: toNumber(row.pid),
    version: String(row.version),
    startedAt: toDate(row.started_at) as Date,
    heartbeatAt: toDate(row.heartbeat_at) as Date,
    stoppedAt: toDate(row.stopped_at),
  };
}
