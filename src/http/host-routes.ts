import { AlertStore, alertJson } from "../alerting/alert-store.js";
import type { Clock } from "../core/clock.js";
import { clusterMembers } from "../db/coordination/cluster.js";
import type { Sql } from "../db/sql.js";
import { cursorText, cursorTime, pageOf, pageRequest } from "./paging.js";
import { json, type Router } from "./router.js";

export interface HostRouteSource {
  sql: Sql;
  clock: Clock;
  /** An instance counts as alive when heard from within this long. */
  aliveWithinMs: number;
}

/** GET /cluster (the processes alive, what each runs and leads) and GET /alerts (newest first, paged). */
export function addHostRoutes(router: Router, source: HostRouteSource): void {
  const alerts = new AlertStore(source.sql);
  router
    .add({
      method: "GET",
      path: "/cluster",
      handler: async () => {
        const now = source.clock.now();
        const members = await clusterMembers(source.sql, new Date(now.getTime() - source.aliveWithinMs), now);
        return json(200, {
          instances: members.map((m) => ({
            ...m,
            startedAt: m.startedAt.toISOString(),
            heartbeatAt: m.heartbeatAt.toISOString(),
          })),
        });
      },
    })
    .add({
      method: "GET",
      path: "/alerts",
      handler: async (req) => {
        const page = pageRequest(req.query);
        const after = page.after && { at: cursorTime(page.after, "at"), id: cursorText(page.after, "id") };
        const rows = await alerts.list(page.limit + 1, after);
        return json(
          200,
          pageOf(rows, page.limit, (a) => ({ at: a.at.getTime(), id: a.id }), alertJson),
        );
      },
    });
}
