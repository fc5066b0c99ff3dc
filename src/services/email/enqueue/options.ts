import addresses from "email-addresses";
import type { EmailConfig } from "../../../config/email.js";
import type { WakeHub } from "../../../core/wake.js";
import { DEFAULT_MESSAGE_ID_DOMAIN, type EnqueueOptions } from "./insert.js";

/** The Message-ID's domain: EMAIL_FROM's, so receivers see ids from the sending domain. */
export function messageIdDomain(from: string): string {
  const parsed = addresses.parseOneAddress({ input: from, rfc6532: true });
  return parsed && parsed.type === "mailbox" ? parsed.domain : DEFAULT_MESSAGE_ID_DOMAIN;
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
