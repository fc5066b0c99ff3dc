import type { Registry } from "prom-client";
import type { Supervisor } from "../core/supervisor.js";
import { dashboardAssets } from "./dashboard-assets.js";
import { type Handler, HttpError, json, type Router } from "./router.js";

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
  /**
   * The built dashboard, served at `/` to browsers. A stop-gap of the email API's branch, to be
   * replaced at merge by the dashboard wiring with sessions: the page and its assets keep the
   * old `/`'s token rule, and `/session` says only whether a token is set.
   */
  dashboardDir?: string;
  tokenRequired?: boolean;
}

export function addStatusRoutes(router: Router, source: StatusSource): void {
  // What this server answers, so a newcomer need not read code.
  const listing: Handler = () => json(200, { name: "steward", version: source.version, endpoints: router.endpoints() });
  const page =
    source.dashboardDir === undefined ? undefined : dashboardAssets(source.dashboardDir, { otherwise: listing });
  if (page) {
    const tokenRequired = source.tokenRequired === true;
    router.add({ method: "GET", path: "/assets/:file", handler: page }).add({
      method: "GET",
      path: "/session",
      handler: () => json(200, { authenticated: !tokenRequired, tokenRequired, csrf: null }),
    });
  }
  router
    .add({ method: "GET", path: "/", handler: page ?? listing })
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
