import type { Database } from "../../../db/open.js";
import type { SqliteSql } from "../../../db/sqlite-sql.js";
import type { EmailStore } from "../store.js";
import { PgEmailStore } from "./pg.js";
import { SqliteEmailStore, type SqliteStoreOptions } from "./sqlite.js";

export function createEmailStore(db: Database, options: SqliteStoreOptions = {}): EmailStore {
  return db.dialect === "pg" ? new PgEmailStore(db.sql) : new SqliteEmailStore(db.sql as SqliteSql, options);
}
