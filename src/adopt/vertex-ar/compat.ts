import { UserError } from "../../core/errors.js";
import type { Database } from "../../db/open.js";
import type { Sql } from "../../db/sql.js";
import { pgDisable, pgEnable, sqliteDisable, sqliteEnable, VIEW } from "./compat-sql.js";

/**
 * `steward compat vertex-ar enable|disable`: the view that lets Vertex AR's app keep inserting
 * into email_queue, on Steward's own database. Both are one transaction and can be repeated:
 * enable replaces a view it made before, disable removes only the view and its triggers, never
 * a job (the jobs are Steward's email_jobs rows, which stay).
 */

export interface CompatResult {
  action: "enabled" | "re-enabled" | "disabled" | "not enabled";
  database: string;
}

/** What holds the name email_queue in Steward's database: nothing, Steward's view, or a table. */
async function occupant(sql: Sql): Promise<"none" | "view" | "table"> {
  const row =
    sql.dialect === "sqlite"
      ? await sql.get<{ kind: string }>("select type as kind from sqlite_master where name = ?", [VIEW])
      : await sql.get<{ kind: string }>(
          `select case c.relkind when 'v' then 'view' else 'table' end as kind from pg_class c
           join pg_namespace n on n.oid = c.relnamespace where c.relname = ? and n.nspname = current_schema()`,
          [VIEW],
        );
  if (!row) return "none";
  return row.kind === "view" ? "view" : "table";
}

/**
 * A table already named email_queue (a copy of Vertex AR's own, say) is refused, empty or not:
 * Steward drops nothing it did not make, and rows in it would never be sent.
 */
export async function enableCompat(db: Database): Promise<CompatResult> {
  return db.sql.tx(async (tx) => {
    const found = await occupant(tx);
    if (found === "table") {
      throw new UserError(
        `${db.description} already has a table named ${VIEW}; import its rows with \`steward import vertex-ar\`, drop it, then enable the view`,
      );
    }
    if (found === "view") for (const statement of disableStatements(tx)) await tx.run(statement);
    for (const statement of tx.dialect === "sqlite" ? sqliteEnable : pgEnable) await tx.run(statement);
    return { action: found === "view" ? "re-enabled" : "enabled", database: db.description };
  });
}

export async function disableCompat(db: Database): Promise<CompatResult> {
  return db.sql.tx(async (tx) => {
    const found = await occupant(tx);
    if (found === "table") {
      throw new UserError(`${VIEW} in ${db.description} is a table, not Steward's view; it is left alone`);
    }
    if (found === "none") return { action: "not enabled", database: db.description };
    for (const statement of disableStatements(tx)) await tx.run(statement);
    return { action: "disabled", database: db.description };
  });
}

function disableStatements(sql: Sql): readonly string[] {
  return sql.dialect === "sqlite" ? sqliteDisable : pgDisable;
}
