import { type Handler, HttpError, json, type Route, type Router } from "../../http/router.js";
import type { ServiceContext } from "../contract.js";
import { QueueActionError } from "./actions/errors.js";
import { batchBody, listQuery, objectBody, optionalInt, retryFailedBody } from "./actions/inputs.js";
import { checkSmtp, drainDue } from "./actions/operator.js";
import type { QueueActions } from "./actions/queue-actions.js";
import { GroupCommit } from "./enqueue/group-commit.js";
import { emailInputFromJson } from "./enqueue/http-input.js";
import { prepareRows } from "./enqueue/insert.js";
import { enqueueOptionsFor } from "./enqueue/options.js";
import type { RecentBatches } from "./live.js";
import { jobSummary } from "./store/job.js";
import type { EmailStore } from "./store.js";

/** What the routes and the live stream of one host share: one set of actions, the batches POSTed here. */
export interface EmailHostParts {
  store: EmailStore;
  actions: QueueActions;
  batches: RecentBatches;
}

/**
 * The email queue's HTTP surface: POST /emails, and the admin API the dashboard uses (the
 * list, the counts, one job, its preview, retry, cancel, pause, cleanup, batches). Registered in
 * every process, whether or not it runs the workers: a job is durable once the answer is sent,
 * and whichever process runs workers sends it (this one at once; others on NOTIFY or their
 * next poll). Every route is `admin`: the list and the jobs hold people's addresses, and the
 * rest change the queue. Each calls the action `steward email ...` calls (actions/).
 * Concurrent POST /emails share their commits (enqueue/group-commit.ts); each is answered
 * after its own job is committed.
 */
export function addEmailRoutes(router: Router, ctx: ServiceContext, host: EmailHostParts): void {
  const email = ctx.config.email;
  const { store, actions } = host;
  const group = new GroupCommit(ctx.db.sql, { wake: ctx.wake });
  const add = (method: Route["method"], path: string, handler: Handler, maxBodyBytes?: number) =>
    router.add({ method, path, admin: true, maxBodyBytes, handler: answering(handler) });
  const id = (params: Record<string, string>) => params.id ?? "";

  add(
    "POST",
    "/emails",
    async (req) => {
      const input = emailInputFromJson(await req.json());
      // Validated here, alone: a refused job is answered 400 and never joins a group.
      const [row] = prepareRows([input], enqueueOptionsFor(email, ctx.clock.now()));
      const result = await group.add(row as NonNullable<typeof row>);
      if (result.created) return json(202, { id: result.id, status: result.status });
      const stored = await store.get(result.id);
      return json(200, stored ? jobSummary(stored) : { id: result.id, status: result.status });
    },
    // JSON escaping can double a body; EMAIL_MAX_BYTES itself is checked on the decoded message.
    email.maxBytes * 2 + 64 * 1024,
  );
  add(
    "POST",
    "/emails/batch",
    async (req) => {
      const result = await actions.enqueueBatch(batchBody(await req.json()));
      host.batches.add(result.batchId);
      return json(202, result);
    },
    // Up to 10,000 jobs; each is held to EMAIL_MAX_BYTES when it is checked.
    64 * 1024 * 1024,
  );
  add("GET", "/emails", async (req) => {
    const { filter, page } = listQuery(req.query);
    return json(200, await actions.list(filter, page));
  });
  // Before /emails/:id, which would take "stats" for an id.
  add("GET", "/emails/stats", async () => json(200, await actions.stats()));
  add("POST", "/emails/retry-failed", async (req) =>
    json(200, await actions.retryFailed(retryFailedBody(await req.json()))),
  );
  for (const [path, paused] of [
    ["/emails/pause", true],
    ["/emails/resume", false],
  ] as const) {
    add("POST", path, async (req) => {
      objectBody(await req.json());
      const { paused: now } = await actions.setPaused(paused);
      return json(200, { paused: now });
    });
  }
  add("POST", "/emails/cleanup", async (req) => {
    const days = optionalInt(objectBody(await req.json(), ["days"]), "days", 1, 36_500);
    return json(200, await actions.cleanup(days));
  });
  add("POST", "/emails/drain", async (req) => {
    const max = optionalInt(objectBody(await req.json(), ["max"]), "max", 1, 1_000_000);
    const { config, db, clock, logger } = ctx;
    return json(200, await drainDue({ db, config, clock, logger, actions, max }));
  });
  add("POST", "/emails/verify-smtp", async (req) => {
    objectBody(await req.json());
    return json(200, await checkSmtp(ctx.config));
  });
  add("GET", "/emails/:id", async (req) => json(200, jobSummary(await actions.job(id(req.params)))));
  add("GET", "/emails/:id/preview", async (req) => json(200, await actions.preview(id(req.params))));
  add("POST", "/emails/:id/retry", async (req) => {
    objectBody(await req.json());
    return json(200, await actions.retry(id(req.params)));
  });
  add("POST", "/emails/:id/cancel", async (req) => {
    objectBody(await req.json());
    return json(200, await actions.cancel(id(req.params)));
  });
  add("GET", "/batches/:id", async (req) => json(200, await actions.batch(id(req.params))));
}

/** An action's refusal as its 4xx; a bad input (a UserError) is already a 400 in the router. */
function answering(handler: Handler): Handler {
  return async (req) => {
    try {
      return await handler(req);
    } catch (error) {
      if (error instanceof QueueActionError) throw new HttpError(error.status, error.message);
      throw error;
    }
  };
}
