import type { Sql } from "../sql.js";
import { fromJson } from "../sql.js";

/**
 * On PostgreSQL every change of a setting is announced on this channel (payload: the schema),
 * so a process LISTENing re-reads its cached switches at once instead of polling them.
 */
export const SETTINGS_CHANNEL = "steward_settings";

/** Small persisted switches every process reads (the email queue's pause, for one). */
export class SettingsStore {
  constructor(private readonly sql: Sql) {}

  async get<T>(key: string, fallback: T): Promise<T> {
    const row = await this.sql.get<{ value: unknown }>("select value from settings where key = ?", [key]);
    return row ? fromJson<T>(row.value, fallback) : fallback;
  }

  async set(key: string, value: unknown, now: Date): Promise<void> {
    await this.sql.run(
      `insert into settings (key, value, updated_at) values (?, ?, ?)
       on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
      [key, JSON.stringify(value), now],
    );
    // After the write: NOTIFY inside a transaction is held to its commit, and outside one the row
    // is already committed, so whoever re-reads on it sees the new value either way.
    if (this.sql.dialect === "pg") await this.sql.run(`select pg_notify('${SETTINGS_CHANNEL}', current_schema())`);
  }
}
