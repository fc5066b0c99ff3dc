import os from "node:os";
import type { Alert, AlertChannel } from "../../src/alerting/alerter.js";
import { type App, createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/load.js";
import type { Clock } from "../../src/core/clock.js";
import { createLogger } from "../../src/core/logger.js";
import { createMetrics } from "../../src/core/metrics.js";
import type { ServiceDefinition } from "../../src/services/contract.js";
import { tempDir } from "./db.js";

export interface TestApp {
  app: App;
  alerts: Alert[];
  logs: string[];
}

/** An in-process host with a recording alert channel, on a fresh SQLite file unless env says otherwise. */
export function testApp(
  definitions: ServiceDefinition[],
  options: { clock?: Clock; env?: Record<string, string>; cwd?: string; hostname?: string; pid?: number } = {},
): TestApp {
  const cwd = options.cwd ?? tempDir();
  const { config } = loadConfig({ STATUS_PORT: "0", ...options.env }, { cwd, isTTY: false, hostname: "test", pid: 1 });
  const logs: string[] = [];
  const logger = createLogger({
    level: "debug",
    format: "json",
    secrets: config.secrets,
    stream: { write: (line: string) => logs.push(line) },
  });
  const alerts: Alert[] = [];
  const recorder: AlertChannel = {
    name: "recorder",
    send: async (alert) => {
      alerts.push(alert);
    },
  };
  const app = createApp({
    config,
    logger,
    definitions,
    // The real process, as main.ts passes it: backups name their owner by it.
    hostname: options.hostname ?? os.hostname(),
    pid: options.pid ?? process.pid,
    clock: options.clock,
    metrics: createMetrics({ processMetrics: false }),
    channels: [recorder],
  });
  return { app, alerts, logs };
}
