import type { ServiceDefinition } from "../../core/context.js";
import { addEmailRoutes } from "./routes.js";
import { EmailService, type EmailServiceOptions } from "./service.js";

/** The email queue's entry in the registry; tests pass their own transport. */
export function emailServiceDefinition(options: EmailServiceOptions = {}): ServiceDefinition {
  return {
    name: "email",
    enabled: (config) => config.email.enabled,
    create: (ctx) => new EmailService(ctx, options),
    routes: (router, ctx, running) =>
      addEmailRoutes(router, ctx, () => {
        const service = running();
        if (service instanceof EmailService) service.wake();
      }),
  };
}
