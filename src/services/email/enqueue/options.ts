import addresses from "email-addresses";
import type { EmailConfig } from "../../../config/email.js";
import type { WakeHub } from "../../../core/wake.js";
import type { Sql } from "../../../db/sql.js";
import type { ServiceContext } from "../../contract.js";
import { enqueueEmail } from "./enqueue.js";
import { DEFAULT_MESSAGE_ID_DOMAIN, type EnqueueOptions, type EnqueueResult } from "./insert.js";
import type { EmailInput } from "./validate.js";

const domains = new Map<string, string>();

/**
 * The Message-ID's domain: EMAIL_FROM's, so receivers see ids from the sending domain.
 * Remembered: it is asked on every enqueue of this process, and parsing costs more than the insert.
 */
export function messageIdDomain(from: string): string {
  let domain = domains.get(from);
  if (domain === undefined) {
    const parsed = addresses.parseOneAddress({ input: from, rfc6532: true });
    domain = parsed && parsed.type === "mailbox" ? parsed.domain : DEFAULT_MESSAGE_ID_DOMAIN;
    if (domains.size > 100) domains.clear();
    domains.set(from, domain);
  }
  return domain;
}

/**
 * Enqueue options for this process's HTTP, CLI, notice and alert enqueues, from the resolved
 * config; `wake` is the host's hub, so its own workers hear of the jobs at once.
 */
export function enqueueOptionsFor(email: EmailConfig, now: Date, wake?: WakeHub): EnqueueOptions {
  return {
    now,
    wake,
    templatesDir: email.templatesDir,
    maxBytes: email.maxBytes,
    messageIdDomain: messageIdDomain(email.from),
  };
}

/** Enqueue as another service uses it, on its own transaction; tests pass their own. */
export type Enqueue = (sql: Sql, input: EmailInput, options: EnqueueOptions) => Promise<EnqueueResult>;

/**
 * The queue's enqueue for another service of this host (the schedulers' notices): the
 * operator's EMAIL_TEMPLATES_DIR, size limit and Message-ID domain apply, and the host's
 * workers hear of the jobs at once.
 */
export function enqueueFor(ctx: Pick<ServiceContext, "config" | "wake">): Enqueue {
  return (sql, input, options) => enqueueEmail(sql, input, enqueueOptionsFor(ctx.config.email, options.now, ctx.wake));
}
