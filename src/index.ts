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
} from "./services/email/enqueue/enqueue.js";
export type { EnqueueResult } from "./services/email/enqueue/insert.js";
export type { EmailInput } from "./services/email/enqueue/validate.js";
export { EmailValidationError } from "./services/email/enqueue/validation-error.js";
export type { EmailStatus } from "./services/email/store/job.js";
