/**
 * What the registry and the other services may use of the email queue: its entry, and its one
 * way in, enqueueEmail (host apps reach the same function through src/index.ts).
 */
export { QueueActionError } from "./actions/errors.js";
/** The operator's actions on the queue, shared by the admin API and `steward email ...` (and /events' counts). */
export { type QueueActionDeps, QueueActions } from "./actions/queue-actions.js";
export { emailServiceDefinition } from "./definition.js";
export { enqueueEmail, enqueueEmails } from "./enqueue/enqueue.js";
export type { EnqueueOptions, EnqueueResult } from "./enqueue/insert.js";
export { type Enqueue, enqueueFor, enqueueOptionsFor } from "./enqueue/options.js";
export type { EmailInput } from "./enqueue/validate.js";
/** The API's refusals that need no input in their text, for SQL that refuses the same rows with the same words. */
export { NO_BODY, NO_RECIPIENT, NO_SUBJECT } from "./enqueue/validate.js";
/** What enqueue throws for a message the queue refuses for good (bad address, unknown template, ...). */
export { EmailValidationError } from "./enqueue/validation-error.js";
/** The NOTIFY channel a running queue listens on (PostgreSQL): SQL outside Steward's code may wake it too. */
export { EMAIL_CHANNEL } from "./notify.js";
export type { EmailServiceOptions } from "./service.js";
/** Sets the queue's counters to what email_jobs holds: for a doctor command or `steward email recount`. */
export { recountEmailCounters } from "./store/counts.js";
