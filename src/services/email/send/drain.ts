import { randomBytes } from "node:crypto";
import type { Config } from "../../../config/load.js";
import type { Clock } from "../../../core/clock.js";
import type { Logger } from "../../../core/logger.js";
import type { Database } from "../../../db/open.js";
import { createEmailStore } from "../store/create.js";
import { CircuitBreaker } from "./circuit-breaker.js";
import { RateLimiter } from "./rate-limiter.js";
import { workerSettings } from "./settings.js";
import { transportFor } from "./transports/create.js";
import type { EmailTransport } from "./transports/transport.js";
import { type PoolTotals, WorkerPool } from "./worker-pool.js";

export interface DrainDeps {
  db: Database;
  config: Config;
  clock: Clock;
  logger: Logger;
  /** Stop after claiming this many jobs. */
  max?: number;
  transport?: EmailTransport;
  random?: () => number;
}

/**
 * `steward email drain`: sends every job due now with this process's own workers and
 * transport, then returns the totals. Jobs whose lease expired (a crashed sender) are taken
 * back first, so a drain also unsticks them.
 */
export async function drainQueue(deps: DrainDeps): Promise<PoolTotals> {
  const transport = deps.transport ?? transportFor(deps.config.email, deps.logger);
  const pool = new WorkerPool({
    store: createEmailStore(deps.db),
    transport,
    clock: deps.clock,
    logger: deps.logger,
    holder: `${deps.config.instanceId}/drain-${randomBytes(4).toString("hex")}`,
    settings: workerSettings(deps.config, deps.random ?? Math.random),
    limiter: new RateLimiter(deps.config.email.rateLimit, deps.clock),
    // No probing here: once it opens the drain ends, leaving the held mail pending for later.
    breaker: new CircuitBreaker({ clock: deps.clock }),
    paused: async () => false,
  });
  try {
    return await pool.drain(deps.max);
  } finally {
    await transport.close();
  }
}
