import type { Registry } from "prom-client";
import type { Supervisor } from "../core/supervisor.js";
import { dashboardRoutes } from "./dashboard-assets.js";
import { HttpError, json, type Router } from "./router.js";

export interface StatusSource {
  supervisor: Supervisor;
  version: string;
  startedAt: Date;
  instance: { id: string; hostname: string; pid: number };
  /** Migrated and started, and not shutting down. */
  ready(): boolean;
  /** Other processes sharing the database, from the last heartbeat. */
  cluster(): unknown;
  registry: Registry;
  /** METRICS_PUBLIC: /metrics answers without the token off loopback. */
  metricsPublic: boolean;
  /** Where the built dashboard is (tests); dist/dashboard by default. */
  dashboardDir?: string;
}

export function addStatusRoutes(router: Router, source: StatusSource): void {
  // A browser gets the dashboard at /; a tool (curl, fetch, scripts) gets what this server
  // answers, as before the dashboard, so a newcomer need not read code. The page is open (the
  // login form must load); the list is not, where reads need the token.
  const routes = dashboardRoutes(source.dashboardDir, {
    otherwise: (req) => {
      if (router.readsNeedToken) req.authorize();
      return json(200, { name: "steward", version: source.version, endpoints: router.endpoints() });
    },
  });
  for (const route of routes) router.add(route);
  router
    .add({
      method: "GET",
      path: "/status",
      handler: () =>
        json(200, {
          version: source.version,
          startedAt: source.startedAt.toISOString(),
          instance: source.instance,
          services: source.supervisor.status(),
          cluster: source.cluster(),
        }),
    })
    .add({
      method: "GET",
      path: "/status/:name",
      handler: (req) => {
        const status = source.supervisor.statusOf(req.params.name ?? "");
        if (!status) {
          throw new HttpError(404, `no such service: ${req.params.name}`, { services: source.supervisor.names() });
        }
        return json(200, status);
      },
    })
    .add({ method: "GET", path: "/healthz", open: true, handler: () => json(200, { ok: true }) })
    .add({
      method: "GET",
      path: "/readyz",
      open: true,
      handler: () => (source.ready() ? json(200, { ready: true }) : json(503, { ready: false })),
    })
    .add({
      method: "GET",
      path: "/metrics",
      open: source.metricsPublic,
      handler: async () => ({
        status: 200,
        body: await source.registry.metrics(),
        contentType: source.registry.contentType,
      }),
    });
}
