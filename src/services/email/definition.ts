import type { ServiceDefinition } from "../contract.js";
import { emailAlertChannel } from "./alert-channel.js";
import { registerEmailCommands } from "./commands.js";
import { enqueueOptionsFor } from "./options.js";
import { addEmailRoutes } from "./routes.js";
import { EmailService, type EmailServiceOptions } from "./service.js";

/** The email queue's entry in the registry; tests pass their own transport. */
export function emailServiceDefinition(options: EmailServiceOptions = {}): ServiceDefinition {
  return {
    name: "email",
    enabled: (config) => config.email.enabled,
    create: (ctx) => new EmailService(ctx, options),
    commands: registerEmailCommands,
    routes: (router, ctx, running) =>
      addEmailRoutes(router, ctx, () => {
        const service = running();
        if (service instanceof EmailService) service.wake();
      }),
    // ALERT_EMAIL_TO: an alert becomes a job in the queue, sent by whichever process runs it.
    alertChannels: ({ config, sql, clock }) =>
      config.alerts.emailTo.length === 0
        ? []
        : [
            emailAlertChannel({
              sql,
              to: config.alerts.emailTo,
              options: () => enqueueOptionsFor(config.email, clock.now()),
            }),
          ],
  };
}
