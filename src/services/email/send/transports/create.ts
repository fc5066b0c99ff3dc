import type { EmailConfig } from "../../../../config/email.js";
import type { Logger } from "../../../../core/logger.js";
import { composerFor } from "../compose/compose-thread.js";
import { ThreadTransport } from "../threads/thread-transport.js";
import { outboxTransport } from "./outbox.js";
import { smtpTransport } from "./smtp.js";
import type { EmailTransport } from "./transport.js";

/**
 * SMTP when SMTP_HOST is set, on the main thread or (EMAIL_SEND_THREADS > 1) in sender threads;
 * otherwise the outbox folder under DATA_DIR.
 */
export function transportFor(email: EmailConfig, logger: Logger): EmailTransport {
  if (!email.smtp) return outboxTransport(email.outboxDir);
  if (email.sendThreads <= 1) return smtpTransport(email.smtp, composerFor());
  return new ThreadTransport({
    threads: email.sendThreads,
    smtp: email.smtp,
    from: email.from,
    templatesDir: email.templatesDir,
    maxBytes: email.maxBytes,
    logger,
  });
}
