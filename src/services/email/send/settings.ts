import type { Config } from "../../../config/load.js";
import { messageIdDomain } from "../enqueue/options.js";
import { TemplateRenderer } from "../enqueue/templates.js";
import type { WorkerDeps } from "./worker-pool.js";

/** The worker pool's settings from the resolved config (shared by the service and `email drain`). */
export function workerSettings(config: Config, random: () => number): WorkerDeps["settings"] {
  const email = config.email;
  return {
    workers: email.workers,
    leaseMs: email.leaseMs,
    pollIntervalMs: email.pollIntervalMs,
    retryDelaysMs: email.retryDelaysMs,
    maxAttempts: email.maxAttempts,
    maxAgeMs: email.maxAgeMs,
    random,
    messageIdDomain: messageIdDomain(email.from),
    from: email.from,
    templates: new TemplateRenderer(email.templatesDir),
    maxBytes: email.maxBytes,
  };
}
