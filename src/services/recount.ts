import { CounterStore, type Recounted } from "../db/coordination/counters.js";
import type { Sql } from "../db/sql.js";
import type { ServiceDefinition } from "./contract.js";

/**
 * `steward doctor recount` and `POST /doctor/recount`: every counter every service declares,
 * counted afresh from its table in one transaction (CounterStore.recountAll). One function, so
 * the command and the dashboard's button cannot count differently.
 */
export function recountCounters(sql: Sql, definitions: readonly ServiceDefinition[], now: Date): Promise<Recounted[]> {
  return new CounterStore(sql).recountAll(
    definitions.flatMap((d) => d.counters ?? []),
    now,
  );
}
