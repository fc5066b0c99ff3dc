import type { Config } from "../config/load.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { WakeHub } from "../core/wake.js";
import type { Sql } from "../db/sql.js";
import type { ServiceDefinition } from "../services/contract.js";
import { alertTableChannel } from "./alert-store.js";
import { type AlertChannel, Alerter } from "./alerter.js";
import { telegramChannel } from "./telegram-channel.js";
import { webhookChannel } from "./webhook-channel.js";

/**
 * The one way an Alerter is built, for the long-running process and for CLI commands alike:
 * the log and the alerts table always, the webhook when ALERT_WEBHOOK_URL is set, Telegram when its bot and chats
 * are, and the channels the services
 * offer (email to ALERT_EMAIL_TO), so a backup run by hand alerts exactly as a scheduled one.
 */
export function createAlerter(deps: {
  config: Config;
  logger: Logger;
  clock: Clock;
  sql: Sql;
  /** The host's wake hub, so an alert queued as email wakes this process's workers. */
  wake: WakeHub;
  definitions: readonly ServiceDefinition[];
  /** Extra channels (tests). */
  channels?: readonly AlertChannel[];
}): Alerter {
  const { config, clock, sql, wake } = deps;
  // The table first: the dashboard's list holds every alert a channel was told of.
  const channels = [alertTableChannel(sql), ...(deps.channels ?? [])];
  if (config.alerts.webhookUrl) channels.push(webhookChannel({ url: config.alerts.webhookUrl, clock }));
  if (config.alerts.telegram) channels.push(telegramChannel({ ...config.alerts.telegram, clock }));
  for (const definition of deps.definitions)
    channels.push(...(definition.alertChannels?.({ config, sql, clock, wake }) ?? []));
  return new Alerter({
    clock,
    logger: deps.logger.child({ component: "alerter" }),
    cooldownMs: config.alerts.cooldownMs,
    instance: config.instanceId,
    channels,
  });
}
