import { fromJson, jsonParam, type Row, type Sql, toBool, toDate, toNumber } from "../../db/sql.js";
import type { BackupKind } from "./manifest.js";

export type BackupStatus = "running" | "succeeded" | "failed";
export type BackupTrigger = "schedule" | "catch-up" | "manual";

export interface BackupFileRecord {
  name: string;
  role: "database" | "storage" | "manifest";
  size: number;
  sha256: string;
}

export interface BackupRecord {
  id: string;
  kind: BackupKind;
  status: BackupStatus;
  trigger: BackupTrigger;
  scheduledFor: Date | null;
  startedAt: Date;
  finishedAt: Date | null;
  bytes: number | null;
  files: BackupFileRecord[];
  /** The backup's directory: where it is, or would have been, once complete. */
  location: string | null;
  verified: boolean;
  verifiedAt: Date | null;
  error: string | null;
  /** Who ran it: `instance/hostname/pid`, the holder of the job's lease. */
  instance: string | null;
}

const COLUMNS =
  "id, kind, status, trigger, scheduled_for, started_at, finished_at, bytes, files, location, verified, verified_at, error, instance";

/** The `backups` table: one row per backup, whatever number of files it has. */
export class BackupStore {
  constructor(private readonly sql: Sql) {}

  async insertRunning(record: {
    id: string;
    kind: BackupKind;
    trigger: BackupTrigger;
    scheduledFor: Date | null;
    startedAt: Date;
    location: string;
    instance: string;
  }): Promise<void> {
    await this.sql.run(
      `insert into backups (id, kind, status, trigger, scheduled_for, started_at, location, verified, instance)
       values (?, ?, 'running', ?, ?, ?, ?, ?, ?)`,
      [
        record.id,
        record.kind,
        record.trigger,
        record.scheduledFor,
        record.startedAt,
        record.location,
        false,
        record.instance,
      ],
    );
  }

  async succeed(
    id: string,
    result: { finishedAt: Date; bytes: number; files: BackupFileRecord[]; verifiedAt: Date },
  ): Promise<void> {
    await this.sql.run(
      `update backups set status = 'succeeded', finished_at = ?, bytes = ?, files = ?, verified = ?, verified_at = ?,
         error = null where id = ? and status = 'running'`,
      [result.finishedAt, result.bytes, jsonParam(result.files), true, result.verifiedAt, id],
    );
  }

  /** Only a running backup fails this way; the reason is kept for `backup list`. */
  async fail(id: string, error: string, finishedAt: Date): Promise<boolean> {
    const changed = await this.sql.run(
      "update backups set status = 'failed', finished_at = ?, error = ?, verified = ? where id = ? and status = 'running'",
      [finishedAt, error, false, id],
    );
    return changed === 1;
  }

  /** The outcome of verifying a finished backup again: a failure makes it failed, never counted as good. */
  async recordVerification(id: string, at: Date, error: string | null): Promise<void> {
    if (error === null) {
      await this.sql.run("update backups set verified = ?, verified_at = ? where id = ?", [true, at, id]);
      return;
    }
    await this.sql.run("update backups set status = 'failed', verified = ?, verified_at = ?, error = ? where id = ?", [
      false,
      at,
      `verification failed: ${error}`,
      id,
    ]);
  }

  async get(id: string): Promise<BackupRecord | undefined> {
    const row = await this.sql.get<Row>(`select ${COLUMNS} from backups where id = ?`, [id]);
    return row ? toRecord(row) : undefined;
  }

  /** An id or an unambiguous prefix of one (ids are long). */
  async find(idOrPrefix: string): Promise<BackupRecord[]> {
    const exact = await this.get(idOrPrefix);
    if (exact) return [exact];
    if (idOrPrefix.length < 4 || /[%_\\]/.test(idOrPrefix)) return [];
    const rows = await this.sql.all<Row>(`select ${COLUMNS} from backups where id like ? order by id limit 5`, [
      `${idOrPrefix}%`,
    ]);
    return rows.map(toRecord);
  }

  /** Newest first; `before` is the last row of the page before (keyset paging). */
  async list(
    options: {
      kind?: BackupKind;
      status?: BackupStatus;
      limit?: number;
      before?: { startedAt: Date; id: string };
    } = {},
  ): Promise<BackupRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.before) {
      where.push("(started_at < ? or (started_at = ? and id < ?))");
      params.push(options.before.startedAt, options.before.startedAt, options.before.id);
    }
    if (options.kind) {
      where.push("kind = ?");
      params.push(options.kind);
    }
    if (options.status) {
      where.push("status = ?");
      params.push(options.status);
    }
    const clause = where.length > 0 ? `where ${where.join(" and ")}` : "";
    params.push(options.limit ?? 1_000_000);
    const rows = await this.sql.all<Row>(
      `select ${COLUMNS} from backups ${clause} order by started_at desc, id desc limit ?`,
      params,
    );
    return rows.map(toRecord);
  }

  async newestVerified(kind: BackupKind): Promise<BackupRecord | undefined> {
    const row = await this.sql.get<Row>(
      `select ${COLUMNS} from backups where kind = ? and status = 'succeeded' and verified = ?
       order by started_at desc, id desc limit 1`,
      [kind, true],
    );
    return row ? toRecord(row) : undefined;
  }

  /**
   * For each kind, its newest run and its newest verified backup, in one statement: every
   * process refreshes these every 15 s, and on PostgreSQL the round trip is the cost.
   */
  async newestByKind(
    kinds: readonly BackupKind[],
  ): Promise<Map<BackupKind, { last?: BackupRecord; verified?: BackupRecord }>> {
    const newest = "order by started_at desc, id desc limit 1";
    const parts: string[] = [];
    const params: unknown[] = [];
    kinds.forEach((kind, i) => {
      parts.push(`select * from (select ${COLUMNS}, 'last' as pick from backups where kind = ? ${newest}) l${i}`);
      parts.push(
        `select * from (select ${COLUMNS}, 'verified' as pick from backups
         where kind = ? and status = 'succeeded' and verified = ? ${newest}) v${i}`,
      );
      params.push(kind, kind, true);
    });
    const out = new Map<BackupKind, { last?: BackupRecord; verified?: BackupRecord }>(kinds.map((k) => [k, {}]));
    if (parts.length === 0) return out;
    for (const row of await this.sql.all<Row>(parts.join(" union all "), params)) {
      const record = toRecord(row);
      const entry = out.get(record.kind);
      if (entry) entry[row.pick === "last" ? "last" : "verified"] = record;
    }
    return out;
  }

  async delete(id: string): Promise<void> {
    await this.sql.run("delete from backups where id = ?", [id]);
  }
}

function toRecord(row: Row): BackupRecord {
  return {
    id: String(row.id),
    kind: String(row.kind) as BackupKind,
    status: String(row.status) as BackupStatus,
    trigger: String(row.trigger) as BackupTrigger,
    scheduledFor: toDate(row.scheduled_for),
    startedAt: toDate(row.started_at) as Date,
    finishedAt: toDate(row.finished_at),
    bytes: row.bytes === null || row.bytes === undefined ? null : toNumber(row.bytes),
    files: fromJson<BackupFileRecord[]>(row.files, []),
    location: row.location === null || row.location === undefined ? null : String(row.location),
    verified: toBool(row.verified),
    verifiedAt: toDate(row.verified_at),
    error: row.error === null || row.error === undefined ? null : String(row.error),
    instance: row.instance === null || row.instance === undefined ? null : String(row.instance),
  };
}

/** A record as JSON-safe data for the CLI and HTTP. */
export function recordJson(record: Omit<BackupRecord, "status"> & { status: string }): Record<string, unknown> {
  const durationMs = record.finishedAt ? record.finishedAt.getTime() - record.startedAt.getTime() : null;
  return {
    ...record,
    scheduledFor: record.scheduledFor?.toISOString() ?? null,
    startedAt: record.startedAt.toISOString(),
    finishedAt: record.finishedAt?.toISOString() ?? null,
    verifiedAt: record.verifiedAt?.toISOString() ?? null,
    durationMs,
  };
}
