// "Run a pass now": POST /run/<name>, the pass `steward run <name>` runs, then the page reloads
// what the pass may have changed.
import { type Context, errorText } from "./context.js";
import { button } from "./dom.js";
import type { PassSummary } from "./types.js";

/** A number, or the sum of a record of numbers (a summary's `notices` or `changes`). */
const total = (value: unknown): number =>
  typeof value === "number"
    ? value
    : typeof value === "object" && value !== null
      ? Object.values(value).reduce<number>((n, v) => n + (typeof v === "number" ? v : 0), 0)
      : 0;

/** One line for the page's notice: what the pass did and whether anything failed. */
export function passLine(name: string, s: PassSummary): string {
  const parts = [`${total(s.notices)} notice(s)`];
  if (s.changes !== undefined) parts.unshift(`${total(s.changes)} change(s)`);
  const failed = s.failures > 0 ? `, ${s.failures} failed (the next pass tries again)` : "";
  return `The ${name} pass ran: ${parts.join(", ")}${failed}.`;
}

export function runPassButton(ctx: Context, name: "lifecycle" | "video", after: () => void): HTMLButtonElement {
  const b = button(`Run a ${name} pass now`, async () => {
    b.disabled = true;
    try {
      const s = await ctx.api.send<PassSummary>("POST", `/run/${name}`);
      ctx.notify(passLine(name, s), s.failures > 0);
      after();
    } catch (e) {
      ctx.notify(`Could not run the ${name} pass: ${errorText(e)}`, true);
    } finally {
      b.disabled = false;
    }
  });
  return b;
}
