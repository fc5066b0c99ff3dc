import type { ServiceDefinition } from "../contract.js";
import { lifecycleText, registerLifecycleCommands } from "./commands.js";
import { LIFECYCLE_COUNTERS } from "./counters.js";
import { addLifecycleListRoutes } from "./list-routes.js";
import type { LifecycleSummary } from "./pass.js";
import { addLifecycleRoutes } from "./routes.js";
import { createLifecycleService, type LifecycleOptions } from "./service.js";

/** The lifecycle scheduler's entry in the registry; tests pass their own enqueue. */
export function lifecycleDefinition(options: LifecycleOptions = {}): ServiceDefinition {
  return {
    name: "lifecycle",
    enabled: (config) => config.lifecycle.enabled,
    create: (ctx) => createLifecycleService(ctx, options),
    routes: (router, ctx) => {
      addLifecycleRoutes(router, ctx);
      addLifecycleListRoutes(router, ctx);
    },
    commands: registerLifecycleCommands,
    counters: LIFECYCLE_COUNTERS,
    pass: {
      // Safe beside a running leader: every write is conditional and transactional, so a pass
      // from here and one from the leader cannot double a notice or a change.
      run: (ctx) => createLifecycleService(ctx, options).runNow(),
      text: (summary: LifecycleSummary) => lifecycleText(summary),
      failures: (summary: LifecycleSummary) => summary.failed,
    },
  };
}
