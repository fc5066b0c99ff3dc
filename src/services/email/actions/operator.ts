import type { Config } from "../../../config/load.js";
import type { Clock } from "../../../core/clock.js";
import { UserError } from "../../../core/errors.js";
import type { Logger } from "../../../core/logger.js";
import type { Database } from "../../../db/open.js";
import { drainQueue } from "../send/drain.js";
import { type SmtpCheck, verifySmtp } from "../send/verify-smtp.js";
import { QueueActionError } from "./errors.js";
import type { QueueActions } from "./queue-actions.js";

export interface DrainSummary {
  claimed: number;
  sent: number;
  retrying: number;
  failed: number;
}

export interface DrainDeps {
  db: Database;
  config: Config;
  clock: Clock;
  logger: Logger;
  actions: QueueActions;
  max?: number;
}

/**
 * `steward email drain` and `POST /emails/drain`: every due job sent now by the caller's own
 * workers, and what became of them. Refused while the queue is paused: pausing means "send
 * nothing", and a drain that ignored it would surprise whoever paused.
 */
export async function drainDue(deps: DrainDeps): Promise<DrainSummary> {
  if (await deps.actions.paused()) {
    throw new QueueActionError(
      409,
      "the email queue is paused; run `steward email resume` (or POST /emails/resume) first",
    );
  }
  const totals = await drainQueue({
    db: deps.db,
    config: deps.config,
    clock: deps.clock,
    logger: deps.logger,
    max: deps.max,
  });
  return { claimed: totals.claimed, sent: totals.sent, retrying: totals.retried, failed: totals.failed };
}

/** `steward email verify-smtp` and `POST /emails/verify-smtp`: connect and log in, send nothing. */
export function checkSmtp(config: Config): Promise<SmtpCheck> {
  const smtp = config.email.smtp;
  if (!smtp) throw new UserError(`SMTP_HOST is not set: mail is written to ${config.email.outboxDir}`);
  return verifySmtp(smtp);
}
