import type { Mount } from "./context.js";
import { pageHeading } from "./dom.js";
import { detailView } from "./email-detail.js";
import { jobsView } from "./email-jobs.js";
import { operatorSection } from "./email-operator.js";
import { cleanupSection, queueView } from "./email-queue.js";
import { emailFiltersFrom } from "./query.js";

/** `#/email` is the queue and the job list; `#/email/<id>` one job. */
export const emailPage: Mount = (root, ctx) => {
  if (ctx.route.id !== null) {
    detailView(root, ctx, ctx.route.id);
    return undefined;
  }
  const filters = emailFiltersFrom(ctx.route.params);
  const queue = queueView(ctx, filters.batchId);
  root.append(pageHeading("Email"), ...queue.el, jobsView(ctx, filters), operatorSection(ctx), cleanupSection(ctx));
  return queue.stop;
};
