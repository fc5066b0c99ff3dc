import { createHash } from "node:crypto";
import type { Alert, AlertChannel } from "../../alerting/alerter.js";
import type { Sql } from "../../db/sql.js";
import { enqueueEmail } from "./enqueue/enqueue.js";
import type { EnqueueOptions } from "./enqueue/insert.js";

/** Before the other mail: an alert that waits behind a backlog is an alert too late. */
const ALERT_PRIORITY = -100;

/**
 * ALERT_EMAIL_TO: each alert becomes an email job, so it is stored durably and retried like
 * any other mail. The alerter's cool-down keeps a failing queue from alerting about itself
 * in a loop. Built from the alert directly, not from a template, so that an operator's
 * EMAIL_TEMPLATES_DIR cannot break alerting.
 */
export function emailAlertChannel(deps: {
  sql: Sql;
  to: readonly string[];
  options: () => EnqueueOptions;
}): AlertChannel {
  return {
    name: "email",
    async send(alert: Alert) {
      const headline = alert.message.replace(/[\r\n]+/g, " ").slice(0, 200);
      await enqueueEmail(
        deps.sql,
        {
          to: [...deps.to],
          subject: `[Steward ${alert.severity}] ${headline}`,
          text: alertText(alert),
          priority: ALERT_PRIORITY,
          // The same alert delivered twice (a retried channel) is stored once.
          idempotencyKey: `alert:${digest(`${alert.instance}\n${alert.key}\n${alert.at}`)}`,
        },
        deps.options(),
      );
    },
  };
}

function alertText(alert: Alert): string {
  return [
    alert.message,
    "",
    `severity: ${alert.severity}`,
    `key:      ${alert.key}`,
    `at:       ${alert.at}`,
    `instance: ${alert.instance}`,
    "",
    "context:",
    JSON.stringify(alert.context, null, 2),
    "",
  ].join("\n");
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}
