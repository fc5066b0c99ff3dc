import path from "node:path";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { Digest } from "./durable-file.js";
import type { DatabasePart, PartContext } from "./part.js";
import { type PgTools, pgConnection, runTool, toolError } from "./pg-tools.js";

export const PG_BACKUP_NAME = "database.dump";

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * `pg_dump -Fc` of the schema Steward's tables live in. The rows are counted in a
 * repeatable-read transaction whose snapshot pg_dump then adopts (--snapshot), so the counts
 * the verification compares against are those of exactly the data dumped.
 */
export async function backupPg(
  ctx: PartContext,
  db: { pool: pg.Pool; url: string; description: string },
  tools: PgTools,
): Promise<DatabasePart> {
  const client = await db.pool.connect();
  try {
    await client.query("begin isolation level repeatable read read only");
    const head = await client.query<{ snapshot: string; schema: string }>(
      "select pg_export_snapshot() as snapshot, current_schema() as schema",
    );
    const { snapshot, schema } = head.rows[0] as { snapshot: string; schema: string };
    const tables = await countTables(client, schema);
    const digest = new Digest();
    const sink = ctx.io.createFile(path.join(ctx.dir, PG_BACKUP_NAME));
    let done = 0;
    digest.on("data", (chunk: Buffer) => {
      done += chunk.length;
      ctx.progress({ phase: "dump", done, total: null, unit: "bytes" });
    });
    const { dbname, env } = pgConnection(db.url);
    const args = [
      "--format=custom",
      `--compress=${ctx.compressionLevel}`,
      `--snapshot=${snapshot}`,
      `--schema=${quoteIdent(schema)}`,
      "--no-password",
      `--dbname=${dbname}`,
    ];
    const result = await runTool(tools.pgDump, args, {
      env,
      consume: (stdout) => pipeline(stdout, digest, sink, { signal: ctx.signal }),
      signal: ctx.signal,
    });
    if (result.code !== 0) throw toolError("pg_dump", result);
    await client.query("commit");
    return {
      file: { name: PG_BACKUP_NAME, role: "database", size: digest.bytes, sha256: digest.sha256 },
      source: { dialect: "pg", location: db.description, schema, tables },
    };
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

async function countTables(client: pg.PoolClient, schema: string): Promise<Record<string, number>> {
  const names = await client.query<{ name: string }>(
    "select tablename as name from pg_tables where schemaname = $1 order by tablename",
    [schema],
  );
  const out: Record<string, number> = {};
  for (const { name } of names.rows) {
    const counted = await client.query<{ n: number }>(
      `select count(*)::int8 as n from ${quoteIdent(schema)}.${quoteIdent(name)}`,
    );
    out[name] = Number(counted.rows[0]?.n ?? 0);
  }
  return out;
}
