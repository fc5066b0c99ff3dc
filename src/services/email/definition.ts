import type { ServiceContext, ServiceDefinition } from "../contract.js";
import { QueueActions } from "./actions/queue-actions.js";
import { emailAlertChannel } from "./alert-channel.js";
import { registerEmailCommands } from "./commands.js";
import { enqueueOptionsFor } from "./enqueue/options.js";
import { emailLiveSources, RecentBatches } from "./live.js";
import { addEmailRoutes, type EmailHostParts } from "./routes.js";
import { EmailService, type EmailServiceOptions } from "./service.js";
import { EMAIL_COUNTERS } from "./store/counts.js";
import { createEmailStore } from "./store/create.js";

/**
 * One set of parts per host, so its routes and its live stream share the recent batches. Keyed
 * by the host's wake hub: each app owns one, while it builds a context per use.
 */
const hostParts = new WeakMap<object, EmailHostParts>();

function partsFor(ctx: ServiceContext): EmailHostParts {
  let parts = hostParts.get(ctx.wake);
  if (!parts) {
    const store = createEmailStore(ctx.db);
    const actions = new QueueActions({
      sql: ctx.db.sql,
      store,
      settings: ctx.stores.settings,
      clock: ctx.clock,
      email: ctx.config.email,
      wake: ctx.wake,
    });
    parts = { store, actions, batches: new RecentBatches(ctx.clock) };
    hostParts.set(ctx.wake, parts);
  }
  return parts;
}

/** The email queue's entry in the registry; tests pass their own transport. */
export function emailServiceDefinition(options: EmailServiceOptions = {}): ServiceDefinition {
  return {
    name: "email",
    enabled: (config) => config.email.enabled,
    create: (ctx) => new EmailService(ctx, options),
    commands: registerEmailCommands,
    // What `steward doctor recount` sets afresh: the counts per status and the hour's minutes.
    counters: [EMAIL_COUNTERS],
    // The enqueue behind POST /emails announces itself on the context's wake hub.
    routes: (router, ctx) => addEmailRoutes(router, ctx, partsFor(ctx)),
    // The dashboard's live counts and the progress of the batches POSTed here.
    live: (ctx) => {
      const parts = partsFor(ctx);
      return emailLiveSources(parts.actions, parts.batches);
    },
    // ALERT_EMAIL_TO: an alert becomes a job in the queue, sent by whichever process runs it.
    alertChannels: ({ config, sql, clock, wake }) =>
      config.alerts.emailTo.length === 0
        ? []
        : [
            emailAlertChannel({
              sql,
              to: config.alerts.emailTo,
              options: () => enqueueOptionsFor(config.email, clock.now(), wake),
            }),
          ],
  };
}
