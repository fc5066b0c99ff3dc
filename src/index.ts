/**
 * Steward's public surface for host apps: enqueue email with the database handle the app
 * already holds, in its own transaction. The table exists once Steward has migrated the
 * database (`steward migrate`, or `steward start`).
 */

export {
  type EmailDbHandle,
  enqueueEmail,
  enqueueEmailSync,
  enqueueEmails,
  enqueueEmailsSync,
  type HostEnqueueOptions,
} from "./services/email/enqueue.js";
export type { EnqueueResult } from "./services/email/insert.js";
export type { EmailStatus } from "./services/email/job.js";
export type { EmailInput } from "./services/email/validate.js";
export { EmailValidationError } from "./services/email/validation-error.js";
