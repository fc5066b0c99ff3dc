import { UserError } from "../../../core/errors.js";

/**
 * What an operator's action on the queue refuses, with the status the admin API answers. A
 * UserError, so the CLI prints the one line and exits 1; the routes turn it into that 4xx.
 */
export class QueueActionError extends UserError {
  override readonly name = "QueueActionError";
  constructor(
    readonly status: 404 | 409 | 422,
    message: string,
  ) {
    super(message);
  }
}

export const noSuchJob = (id: string) => new QueueActionError(404, `no such email job: ${id}`);
