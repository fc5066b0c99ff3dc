import { createApp } from "../app.js";
import { toError } from "../core/errors.js";
import { createLogger } from "../core/logger.js";
import type { ServiceDefinition } from "../services/contract.js";
import type { CliRuntime } from "./runtime.js";
import { configFrom } from "./shared.js";

/**
 * Runs the supervisor until SIGTERM or SIGINT: then stops taking new work, lets in-flight
 * work finish within SHUTDOWN_GRACE_SECONDS, and exits 0. A second signal exits at once.
 */
/**
 * Beyond the grace: the supervisor gives up on a stuck service 5 s after it, then the host
 * still marks the instance stopped and closes HTTP and the pool; this leaves time for all that.
 */
const FORCED_EXIT_MARGIN_MS = 15_000;

export async function startCommand(rt: CliRuntime, definitions: readonly ServiceDefinition[]): Promise<number> {
  const config = configFrom(rt);
  const logger = createLogger({ level: config.log.level, format: config.log.format, secrets: config.secrets });
  const app = createApp({
    config,
    logger,
    definitions,
    hostname: rt.hostname,
    pid: rt.pid,
    clock: rt.clock,
  });
  let signals = 0;
  const stopped = new Promise<number>((resolve) => {
    rt.onShutdownSignal((signal) => {
      signals += 1;
      if (signals > 1) {
        logger.warn({ signal }, "second signal: exiting without waiting");
        rt.exitNow(1);
      }
      logger.info({ signal, graceSeconds: config.shutdownGraceMs / 1000 }, "shutting down");
      // The grace is a promise to the operator: a shutdown stuck past it (start-up waiting on
      // a migration lock, say) exits anyway. Email jobs still held go back when their lease runs out.
      setTimeout(() => {
        logger.warn({ graceSeconds: config.shutdownGraceMs / 1000 }, "shutdown outlasted the grace period; exiting");
        rt.exitNow(1);
      }, config.shutdownGraceMs + FORCED_EXIT_MARGIN_MS).unref();
      void app.stop().then(() => resolve(0));
    });
  });
  try {
    await app.start();
  } catch (error) {
    const err = toError(error);
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === "EADDRINUSE"
        ? `STATUS_PORT ${config.status.port} on ${config.status.host} is already in use`
        : code === "EADDRNOTAVAIL"
          ? `STATUS_HOST ${config.status.host} is not an address of this machine`
          : err.message;
    logger.fatal({ err }, `start-up failed: ${message}`);
    rt.stderr.write(`steward: start-up failed: ${message}\n`);
    await app.stop();
    return 1;
  }
  return stopped;
}
