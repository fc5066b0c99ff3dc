import type { EmailConfig } from "../../../../config/email.js";
import { outboxTransport } from "./outbox.js";
import { smtpTransport } from "./smtp.js";
import type { EmailTransport } from "./transport.js";

/** SMTP when SMTP_HOST is set; otherwise the outbox folder under DATA_DIR. */
export function transportFor(email: EmailConfig): EmailTransport {
  return email.smtp ? smtpTransport(email.smtp) : outboxTransport(email.outboxDir);
}
