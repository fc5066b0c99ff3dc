/**
 * Error types that decide what happens next. The type, not the message, is the contract:
 * a UserError is shown as one line without a stack; a PermanentError fails a job now; a
 * TransientError (or any unknown throw) lets it retry.
 */

/** A mistake by whoever gave us input (a setting, a CLI argument, a request body). */
export class UserError extends Error {
  override readonly name: string = "UserError";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** A bad setting. Start-up stops with exit code 2; each line names the variable. */
export class ConfigError extends UserError {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"), 2);
  }
}

/** Retrying cannot help (a 5xx SMTP reply, a template error). */
export class PermanentError extends Error {
  override readonly name = "PermanentError";
  constructor(
    message: string,
    readonly code?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Retrying may help (a 4xx SMTP reply, a dropped connection). */
export class TransientError extends Error {
  override readonly name = "TransientError";
  constructor(
    message: string,
    readonly code?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Coerce anything thrown into an Error exactly once, keeping the original as the cause. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === "string") return new Error(thrown);
  let text: string;
  try {
    text = JSON.stringify(thrown) ?? String(thrown);
  } catch {
    text = String(thrown);
  }
  return new Error(`non-error thrown: ${text}`, { cause: thrown });
}
