import type { Sql } from "../../db/sql.js";
import type { EnqueueOptions, EnqueueResult } from "./insert.js";
import type { EmailInput } from "./validate.js";

/**
 * What the registry and the other services may use of the email queue: its entry, and its one
 * way in, enqueueEmail (host apps reach the same function through src/index.ts).
 */
export { emailServiceDefinition } from "./definition.js";
export { enqueueEmail } from "./enqueue.js";
export type { EnqueueResult } from "./insert.js";
export { enqueueOptionsFor } from "./options.js";
export type { EmailServiceOptions } from "./service.js";
export type { EmailInput } from "./validate.js";
/** What enqueue throws for a message the queue refuses for good (bad address, unknown template, ...). */
export { EmailValidationError } from "./validation-error.js";

/** Enqueue as another service uses it (on its own transaction); tests pass their own. */
export type Enqueue = (sql: Sql, input: EmailInput, options: EnqueueOptions) => Promise<EnqueueResult>;
