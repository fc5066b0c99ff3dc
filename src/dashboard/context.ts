import type { Api } from "./api.js";
import type { Live } from "./live.js";
import type { Route } from "./route.js";

/** What a page gets from the shell. */
export interface Context {
  api: Api;
  live: Live;
  route: Route;
  /** A message in the page's polite live region; `error` makes it an alert. */
  notify(message: string, error?: boolean): void;
}

/** Draws a page into `root`; the returned function stops its timers and subscriptions. */
export type Mount = (root: HTMLElement, ctx: Context) => (() => void) | undefined;

/** An action's error as one line for notify(). */
export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
