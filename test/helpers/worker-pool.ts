import { systemClock } from "../../src/core/clock.js";
import { createLogger } from "../../src/core/logger.js";
import { TemplateRenderer } from "../../src/services/email/enqueue/templates.js";
import { CircuitBreaker } from "../../src/services/email/send/circuit-breaker.js";
import { RateLimiter } from "../../src/services/email/send/rate-limiter.js";
import type { EmailTransport } from "../../src/services/email/send/transports/transport.js";
import { WorkerPool } from "../../src/services/email/send/worker-pool.js";
import type { EmailStore } from "../../src/services/email/store.js";

/** A transport that accepts every message at once, with no I/O. */
export const instantTransport: EmailTransport = {
  kind: "instant",
  send: async (m) => ({ accepted: [String(m.mail.to)], refusals: [] }),
  close: async () => {},
};

/**
 * A WorkerPool on its own, outside the service: the real clock, no rate limit, a closed
 * breaker, never paused, the defaults' retry policy in short.
 */
export function bareWorkerPool(options: {
  store: EmailStore;
  workers: number;
  holder: string;
  transport?: EmailTransport;
}): WorkerPool {
  return new WorkerPool({
    store: options.store,
    transport: options.transport ?? instantTransport,
    clock: systemClock,
    logger: createLogger({ level: "silent", format: "json", secrets: [] }),
    holder: options.holder,
    settings: {
      workers: options.workers,
      leaseMs: 60_000,
      pollIntervalMs: 500,
      retryDelaysMs: [1_000],
      maxAttempts: 5,
      maxAgeMs: 0,
      random: Math.random,
      messageIdDomain: "test.example",
      from: "Test <test@test.example>",
      templates: new TemplateRenderer(),
      maxBytes: 10 * 1024 * 1024,
    },
    limiter: new RateLimiter(0, systemClock),
    breaker: new CircuitBreaker({ clock: systemClock }),
    paused: async () => false,
  });
}
