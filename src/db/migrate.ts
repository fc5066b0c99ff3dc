import { createHash } from "node:crypto";
import path from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { projectRoot } from "../core/project.js";
import type { Database } from "./open.js";

export function migrationsFolder(dialect: Database["dialect"]): string {
  return path.join(projectRoot(), "drizzle", dialect);
}

export interface MigrationResult {
  applied: number;
  total: number;
}

/**
 * Applies drizzle-kit's generated migrations in one transaction. Several processes starting
 * together against one PostgreSQL migrate exactly once: the first takes a transaction-scoped
 * advisory lock (keyed by schema, so separate schemas do not wait on each other), the others
 * wait for it and then find nothing left to do. On SQLite, BEGIN IMMEDIATE does the same.
 * `folder` is for tests that stop at an earlier migration, to see a later one convert their rows.
 */
export async function migrate(db: Database, folder = migrationsFolder(db.dialect)): Promise<MigrationResult> {
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  return db.sql.tx(async (tx) => {
    if (db.dialect === "pg") {
      const schema = await tx.get<{ s: string }>("select current_schema() as s");
      await tx.run("select pg_advisory_xact_lock(?)", [lockKey(`steward-migrate:${schema?.s}`)]);
    }
    await tx.run(createTableSql(db.dialect));
    const done = new Set((await tx.all<{ hash: string }>("select hash from steward_migrations")).map((r) => r.hash));
    let applied = 0;
    for (const migration of migrations) {
      if (done.has(migration.hash)) continue;
      for (const statement of migration.sql) {
        if (statement.trim()) await tx.run(db.dialect === "pg" ? unqualified(statement) : statement);
      }
      await tx.run("insert into steward_migrations (hash, created_at, applied_at) values (?, ?, ?)", [
        migration.hash,
        migration.folderMillis,
        new Date(),
      ]);
      applied += 1;
    }
    return { applied, total: migrations.length };
  });
}

/** Whether Steward's migrations have ever run here (its bookkeeping table exists). */
export async function isMigrated(db: Database): Promise<boolean> {
  const row =
    db.dialect === "pg"
      ? await db.sql.get<{ found: unknown }>("select to_regclass('steward_migrations') is not null as found")
      : await db.sql.get<{ found: unknown }>(
          "select count(*) > 0 as found from sqlite_master where type = 'table' and name = 'steward_migrations'",
        );
  return row?.found === true || row?.found === 1;
}

/**
 * drizzle-kit writes foreign keys as REFERENCES "public"."table". Steward's tables live in
 * whatever schema the connection's search_path names (operators may give it its own; tests
 * use one per test), so references are left unqualified to resolve there.
 */
function unqualified(statement: string): string {
  return statement.replaceAll('REFERENCES "public".', "REFERENCES ");
}

function createTableSql(dialect: Database["dialect"]): string {
  const instant = dialect === "pg" ? "timestamptz" : "integer";
  return `create table if not exists steward_migrations (
    hash text primary key,
    created_at bigint not null,
    applied_at ${instant} not null
  )`;
}

/** A stable signed 64-bit key for pg advisory locks. */
export function lockKey(name: string): string {
  return createHash("sha256").update(name).digest().readBigInt64BE(0).toString();
}
