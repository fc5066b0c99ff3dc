import type { Sql } from "../sql.js";
import { fromJson } from "../sql.js";

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
  }
}
