/**
 * The one way a test waits for something the code under test will make true: a state it polls
 * (`waitFor`) or an event it is told of (`waitForEvent`). Never a sleep of a guessed length:
 * the wait ends as soon as the condition holds, and the timeout only bounds a failure.
 */

export interface WaitOptions {
  /** What is awaited, for the timeout's message ("the first pass", "2000 sent rows"). */
  what?: string;
  /** Default 20 s: far beyond any healthy wait, so only a failure reaches it. */
  timeoutMs?: number;
  /** How often to look; default 5 ms. */
  everyMs?: number;
}

/**
 * Polls `check` until it returns something truthy, and returns that value. A check may be
 * synchronous or async (a query); a check that throws ends the wait with its error.
 */
export async function waitFor<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitOptions = {},
): Promise<T> {
  const { what = "a condition", timeoutMs = 20_000, everyMs = 5 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
