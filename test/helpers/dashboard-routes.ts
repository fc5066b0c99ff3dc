// The admin API routes as the fixture answers them: filters and cursors work on the canned
// lists; actions change them the way Steward would, so the page shows the outcome.
import { HttpError, json, type Reply, type Request, type Router } from "../../src/http/router.js";
import type { DashboardFixture } from "./dashboard-fixture.js";

type Answer = (req: Request, body: unknown) => Reply | unknown;

const cursorOf = (offset: number) => Buffer.from(`o:${offset}`).toString("base64url");

/** One page of `items` for `?limit&cursor`, as the API pages: an opaque cursor or null. */
export function pageOf<T>(items: readonly T[], query: URLSearchParams): { items: T[]; nextCursor: string | null } {
  const limit = Number(query.get("limit") ?? 50);
  const cursor = query.get("cursor");
  const offset = cursor ? Number(Buffer.from(cursor, "base64url").toString().slice(2)) : 0;
  const end = offset + limit;
  return { items: items.slice(offset, end), nextCursor: end < items.length ? cursorOf(end) : null };
}

type Add = (method: "GET" | "POST" | "DELETE", path: string, answer: Answer, open?: boolean) => void;

export function addFixtureRoutes(router: Router, fx: DashboardFixture): void {
  const add: Add = (method, path, answer, open = false) => {
    router.add({
      method,
      path,
      handler: async (req) => {
        const mutating = method !== "GET";
        // req.json() refuses a body that is not application/json (415), as Steward does.
        const body = mutating ? await req.json() : undefined;
        fx.record(req, body);
        if (!open) fx.authorize(req, mutating);
        const out = await answer(req, body);
        return isReply(out) ? out : json(200, out);
      },
    });
  };
  addSessionRoutes(add, fx);
  addEmailRoutes(add, fx);
  addSchedulerRoutes(add, fx);
  addBackupRoutes(add, fx);
}

function addSessionRoutes(add: Add, fx: DashboardFixture): void {
  const d = fx.data;
  const session = () => ({
    authenticated: fx.options.token === undefined,
    tokenRequired: fx.options.token !== undefined,
    csrf: fx.options.token === undefined ? fx.csrf : null,
  });

  add(
    "GET",
    "/session",
    (req) => {
      try {
        fx.authorize(req, false);
        return { ...session(), authenticated: true, csrf: fx.csrf };
      } catch {
        return session();
      }
    },
    true,
  );
  add(
    "POST",
    "/session",
    (_, body) => ({
      status: 200,
      body: { authenticated: true, csrf: fx.csrf },
      headers: fx.login((body as { token?: unknown }).token).headers,
    }),
    true,
  );
  add("DELETE", "/session", () => ({ authenticated: false }));

  add("GET", "/status", () => ({
    version: "0.1.0",
    startedAt: d.services[0]?.startedAt,
    instance: { id: "app-1", hostname: "web-1", pid: 4100 },
    services: Object.fromEntries(d.services.map((s) => [s.name, s])),
    cluster: d.instances,
  }));
  add("GET", "/cluster", () => ({ instances: d.instances }));
  add("GET", "/alerts", (req) => pageOf(d.alerts, req.query));
}

function addEmailRoutes(add: Add, fx: DashboardFixture): void {
  const d = fx.data;
  const job = (req: Request) => {
    const found = d.jobs.find((j) => j.id === req.params.id);
    if (!found) throw new HttpError(404, `no such email job: ${req.params.id}`);
    return found;
  };

  add("GET", "/emails/stats", () => fx.stats());
  add("GET", "/emails", (req) => {
    const q = req.query;
    const hit = d.jobs.filter(
      (j) =>
        (!q.get("status") || j.status === q.get("status")) &&
        (!q.get("recipient") || j.to.some((t) => t.includes(q.get("recipient") ?? ""))) &&
        (!q.get("batchId") || j.batchId === q.get("batchId")) &&
        (!q.get("createdFrom") || j.createdAt >= (q.get("createdFrom") ?? "")) &&
        (!q.get("createdTo") || j.createdAt <= (q.get("createdTo") ?? "")),
    );
    return pageOf(hit, q);
  });
  add("GET", "/emails/:id", (req) => job(req));
  add("GET", "/emails/:id/preview", (req) => {
    const j = job(req);
    const html = `<p>Hello <b>${j.to[0]}</b></p>\n<script>window.__xss = 2</script>`;
    return { subject: j.subject, from: j.from, to: j.to, text: `Hello ${j.to[0]},\nyour portrait changed.`, html };
  });
  add("POST", "/emails/:id/retry", (req) => {
    const j = job(req);
    if (j.status !== "failed" && j.status !== "cancelled") throw new HttpError(409, `job ${j.id} is ${j.status}`);
    j.status = "pending";
    return { id: j.id, status: j.status };
  });
  add("POST", "/emails/:id/cancel", (req) => {
    const j = job(req);
    if (j.status !== "pending") throw new HttpError(409, `job ${j.id} is ${j.status}`);
    j.status = "cancelled";
    return { id: j.id, status: j.status };
  });
  add("POST", "/emails/retry-failed", (_, body) => {
    const f = body as { recipient?: string; batchId?: string };
    const hit = d.jobs.filter(
      (j) =>
        j.status === "failed" &&
        (!f.recipient || j.to.some((t) => t.includes(f.recipient ?? ""))) &&
        (!f.batchId || j.batchId === f.batchId),
    );
    for (const j of hit) j.status = "pending";
    return { retried: hit.length, ids: hit.map((j) => j.id) };
  });
  const setPaused = (paused: boolean) => {
    d.paused = paused;
    return { paused };
  };
  add("POST", "/emails/pause", () => setPaused(true));
  add("POST", "/emails/resume", () => setPaused(false));
  add("POST", "/emails/cleanup", (_, body) => ({ deleted: (body as { days: number }).days === 30 ? 7 : 0 }));
  add("GET", "/batches/:id", (req) => batchOf(fx, req.params.id ?? ""));
}

function addSchedulerRoutes(add: Add, fx: DashboardFixture): void {
  const d = fx.data;

  add("GET", "/projects", (req) => pageOf(d.projects, req.query));
  add("GET", "/portraits", (req) => pageOf(d.portraits, req.query));
  add("GET", "/lifecycle/plan", () => ({
    from: d.now.toISOString(),
    to: new Date(d.now.getTime() + 30 * 86_400_000).toISOString(),
    notices: d.projects
      .concat(d.portraits)
      .flatMap((s, i) => [
        {
          at: new Date(Date.parse(s.subscriptionEnd) - 7 * 86_400_000).toISOString(),
          kind: "7day",
          subject: s.projectId ? "portrait" : "project",
          id: s.id,
          ownerEmail: s.ownerEmail,
        },
        ...(i % 2
          ? [
              {
                at: s.subscriptionEnd,
                kind: "expired",
                subject: s.projectId ? "portrait" : "project",
                id: s.id,
                ownerEmail: s.ownerEmail,
              },
            ]
          : []),
      ])
      .filter((n) => n.at >= d.now.toISOString())
      .sort((a, b) => a.at.localeCompare(b.at)),
  }));
  add("GET", "/lifecycle/notices", (req) => pageOf(d.sentNotices, req.query));

  add("GET", "/video/portraits", (req) => pageOf(d.videos, req.query));
  add("GET", "/video/history", (req) => {
    const id = req.query.get("portraitId");
    return pageOf(id ? d.videoHistory.filter((h) => h.portraitId === id) : d.videoHistory, req.query);
  });
}

function addBackupRoutes(add: Add, fx: DashboardFixture): void {
  const d = fx.data;
  add("GET", "/backups", (req) => {
    const kind = req.query.get("kind");
    return pageOf(kind ? d.backups.filter((b) => b.kind === kind) : d.backups, req.query);
  });
  add("POST", "/backups", (_, body) => {
    const kind = (body as { kind: "database" | "storage" | "full" }).kind;
    const id = `bk-run-${d.backups.length + 1}`;
    d.backups.unshift({
      id,
      kind,
      status: "running",
      startedAt: new Date().toISOString(),
      finishedAt: null,
      durationMs: null,
      sizeBytes: null,
      verified: false,
      verifiedAt: null,
      location: null,
      error: null,
    });
    return { status: 202, body: { id, kind, status: "running" } };
  });
  add("POST", "/backups/:id/verify", (req) => {
    const b = d.backups.find((x) => x.id === req.params.id);
    if (!b) throw new HttpError(404, `no such backup: ${req.params.id}`);
    b.verified = true;
    b.verifiedAt = new Date().toISOString();
    return { id: b.id, verified: true, error: null };
  });
  add("GET", "/backups/schedule", () => ({ jobs: d.schedule }));
}

export function batchOf(fx: DashboardFixture, batchId: string) {
  const jobs = fx.data.jobs.filter((j) => j.batchId === batchId);
  if (jobs.length === 0) throw new HttpError(404, `no such batch: ${batchId}`);
  const counts = { pending: 0, sending: 0, sent: 0, failed: 0, cancelled: 0 };
  for (const j of jobs) counts[j.status] += 1;
  const startedAt = jobs.map((j) => j.createdAt).sort()[0] ?? null;
  return {
    batchId,
    total: jobs.length,
    counts,
    startedAt,
    finishedAt: counts.pending + counts.sending === 0 ? fx.data.now.toISOString() : null,
  };
}

function isReply(value: unknown): value is Reply {
  return (
    typeof value === "object" &&
    value !== null &&
    "status" in value &&
    "body" in value &&
    Object.keys(value).every((k) => ["status", "body", "headers", "contentType"].includes(k))
  );
}
