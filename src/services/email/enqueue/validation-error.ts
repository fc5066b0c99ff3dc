import { UserError } from "../../../core/errors.js";

/**
 * Input the queue refuses to store: a bad address, CR/LF in a header, an unknown template.
 * A UserError, so HTTP answers 400 with the reason and the CLI exits 1 with one line; at send
 * time (a row a host app inserted by hand) the worker treats it as permanent.
 */
export class EmailValidationError extends UserError {
  override readonly name = "EmailValidationError";
}
