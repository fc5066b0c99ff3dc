import type { ServiceDefinition } from "../contract.js";
import { emailAlertChannel } from "./alert-channel.js";
import { registerEmailCommands } from "./commands.js";
import { enqueueOptionsFor } from "./enqueue/options.js";
import { addEmailRoutes } from "./routes.js";
import { EmailService, type EmailServiceOptions } from "./service.js";

/** The email queue's entry in the registry; tests pass their own transport. */
export function emailServiceDefinition(options: EmailServiceOptions = {}): ServiceDefinition {
  return {
    name: "email",
    enabled: (config) => config.email.enabled,
    create: (ctx) => new EmailService(ctx, options),
    commands: registerEmailCommands,
    // The enqueue behind POST /emails announces itself on the context's wake hub.
    routes: (router, ctx) => addEmailRoutes(router, ctx),
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
