import { fromJson, jsonParam, type Row, type Sql, toDate } from "../db/sql.js";
import type { Alert, AlertChannel, Severity } from "./alerter.js";

export interface StoredAlert {
  id: string;
  at: Date;
  severity: Severity;
  key: string;
  message: string;
  instance: string | null;
  context: Record<string, unknown>;
}

/**
 * The `alerts` table: every alert delivered (past its cool-down), for the dashboard's list.
 * Kept ALERT_RETENTION_DAYS; `prune` deletes older ones through the index on `at`.
 */
export class AlertStore {
  constructor(private readonly sql: Sql) {}

  async insert(alert: Alert): Promise<void> {
    await this.sql.run(
      "insert into alerts (id, key, severity, message, context, instance, at) values (?, ?, ?, ?, ?, ?, ?) on conflict (id) do nothing",
      [
        alert.id,
        alert.key,
        alert.severity,
        alert.message,
        jsonParam(alert.context),
        alert.instance,
        new Date(alert.at),
      ],
    );
  }

  /** Newest first; `after` is the last alert of the page before. */
  async list(limit: number, after?: { at: Date; id: string }): Promise<StoredAlert[]> {
    const where = after ? "where at < ? or (at = ? and id < ?)" : "";
    const params: unknown[] = after ? [after.at, after.at, after.id] : [];
    const rows = await this.sql.all<Row>(
      `select id, at, severity, key, message, instance, context from alerts ${where}
       order by at desc, id desc limit ?`,
      [...params, limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      at: toDate(r.at) as Date,
      severity: String(r.severity) as Severity,
      key: String(r.key),
      message: String(r.message),
      instance: r.instance === null || r.instance === undefined ? null : String(r.instance),
      context: fromJson<Record<string, unknown>>(r.context, {}),
    }));
  }

  async prune(before: Date): Promise<number> {
    return this.sql.run("delete from alerts where at < ?", [before]);
  }
}

/** The channel that keeps each delivered alert in the table. */
export function alertTableChannel(sql: Sql): AlertChannel {
  const store = new AlertStore(sql);
  return { name: "table", send: (alert) => store.insert(alert) };
}

/** An alert as the API answers it. */
export function alertJson(
  a: Pick<StoredAlert, "id" | "key" | "severity" | "message" | "instance"> & { at: Date | string },
) {
  return {
    id: a.id,
    at: typeof a.at === "string" ? a.at : a.at.toISOString(),
    severity: a.severity,
    key: a.key,
    message: a.message,
    instance: a.instance,
  };
}
