import { instantJson } from "../../core/instant.js";
import { HttpError } from "../../http/http-error.js";
import { pageRequest } from "../../http/paging.js";
import { json, type Router } from "../../http/router.js";
import type { ServiceContext } from "../contract.js";
import { listNotices, listSubjects, subjectFilter } from "./lists.js";
import { lifecyclePlan } from "./plan.js";

/** A page draws at most this many planned notices; `truncated` says when there were more. */
const PLAN_MAX = 10_000;

/**
 * The lifecycle's lists for the dashboard and API clients: projects and portraits with
 * filters, the plan of the next N days (what `steward lifecycle plan` prints), the notices sent.
 */
export function addLifecycleListRoutes(router: Router, ctx: ServiceContext): void {
  const sql = ctx.db.sql;
  for (const type of ["project", "portrait"] as const) {
    router.add({
      method: "GET",
      path: `/${type}s`,
      handler: async (req) =>
        json(200, await listSubjects(sql, type, subjectFilter(req.query), pageRequest(req.query), ctx.clock.now())),
    });
  }
  router
    .add({
      method: "GET",
      path: "/lifecycle/plan",
      handler: async (req) => {
        const raw = req.query.get("days") ?? "7";
        const days = Number(raw);
        if (!Number.isInteger(days) || days < 1 || days > 3650) {
          throw new HttpError(400, `days: a whole number from 1 to 3650, not "${raw}"`);
        }
        const plan = await lifecyclePlan(sql, ctx.config.lifecycle, ctx.clock.now(), days, PLAN_MAX);
        return json(200, {
          from: plan.from.toISOString(),
          to: plan.to.toISOString(),
          days: plan.days,
          notificationsEnabled: plan.notificationsEnabled,
          truncated: plan.truncated,
          notices: plan.notices.map((n) => ({
            at: n.at.toISOString(),
            kind: n.kind,
            subject: n.subjectType,
            id: n.subjectId,
            name: n.subjectName,
            ownerEmail: n.recipient,
            subscriptionEnd: instantJson(n.subscriptionEnd),
          })),
        });
      },
    })
    .add({
      method: "GET",
      path: "/lifecycle/notices",
      handler: async (req) => json(200, await listNotices(sql, pageRequest(req.query))),
    });
}
