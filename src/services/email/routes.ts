import { HttpError, json, type Router } from "../../http/router.js";
import type { ServiceContext } from "../contract.js";
import { GroupCommit } from "./enqueue/group-commit.js";
import { emailInputFromJson } from "./enqueue/http-input.js";
import { prepareRows } from "./enqueue/insert.js";
import { enqueueOptionsFor } from "./enqueue/options.js";
import { createEmailStore } from "./store/create.js";
import { jobSummary } from "./store/job.js";

/**
 * POST /emails and GET /emails/<id>. Registered in every process, whether or not it runs the
 * workers: the job is durable once the answer is sent, and whichever process runs workers
 * sends it (this one at once; others on NOTIFY or their next poll). Concurrent POSTs share
 * their commits (enqueue/group-commit.ts); each is answered after its own job is committed.
 */
export function addEmailRoutes(router: Router, ctx: ServiceContext): void {
  const email = ctx.config.email;
  const store = createEmailStore(ctx.db);
  const group = new GroupCommit(ctx.db.sql, { wake: ctx.wake });
  router
    .add({
      method: "POST",
      path: "/emails",
      admin: true,
      // JSON escaping can double a body; EMAIL_MAX_BYTES itself is checked on the decoded message.
      maxBodyBytes: email.maxBytes * 2 + 64 * 1024,
      handler: async (req) => {
        const input = emailInputFromJson(await req.json());
        // Validated here, alone: a refused job is answered 400 and never joins a group.
        const [row] = prepareRows([input], enqueueOptionsFor(email, ctx.clock.now()));
        const result = await group.add(row as NonNullable<typeof row>);
        if (result.created) return json(202, { id: result.id, status: result.status });
        const stored = await store.get(result.id);
        return json(200, stored ? jobSummary(stored) : { id: result.id, status: result.status });
      },
    })
    .add({
      method: "GET",
      path: "/emails/:id",
      admin: true,
      handler: async (req) => {
        const job = await store.get(req.params.id ?? "");
        if (!job) throw new HttpError(404, `no such email job: ${req.params.id}`);
        return json(200, jobSummary(job));
      },
    });
}
