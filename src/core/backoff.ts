export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Fraction of the delay that is randomised away (0 = none, 1 = full jitter). */
  jitter: number;
}

export const restartBackoff: BackoffOptions = { baseMs: 1_000, capMs: 5 * 60_000, jitter: 0.25 };

/**
 * Capped exponential delay for the n-th consecutive failure (n >= 1). Jitter spreads out
 * processes that failed together (a database blip) so they do not retry in lock-step.
 */
export function backoffDelay(failures: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const delay = Math.min(options.capMs, options.baseMs * 2 ** exponent);
  return Math.round(delay * (1 - options.jitter * random()));
}
