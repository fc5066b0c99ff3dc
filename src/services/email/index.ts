/**
 * What the registry and the other services may use of the email queue: its entry, and its one
 * way in, enqueueEmail (host apps reach the same function through src/index.ts).
 */
export { emailServiceDefinition } from "./definition.js";
export { enqueueEmail } from "./enqueue/enqueue.js";
export type { EnqueueResult } from "./enqueue/insert.js";
export { type Enqueue, enqueueFor, enqueueOptionsFor } from "./enqueue/options.js";
export type { EmailInput } from "./enqueue/validate.js";
/** What enqueue throws for a message the queue refuses for good (bad address, unknown template, ...). */
export { EmailValidationError } from "./enqueue/validation-error.js";
export type { EmailServiceOptions } from "./service.js";
/** Sets the queue's counters to what email_jobs holds: for a doctor command or `steward email recount`. */
export { recountEmailCounters } from "./store/counts.js";
