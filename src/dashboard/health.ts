// The overview's one-line verdict, from the services' states. Pure.
import type { ServiceStatus } from "./types.js";

export type Level = "ok" | "warn" | "error";

export interface Health {
  level: Level;
  headline: string;
  problems: string[];
}

/** Problems, worst first: a failed or stopped service, a down transport, paused mail, failing runs. */
export function summarizeHealth(services: readonly ServiceStatus[]): Health {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const s of services) {
    if (!s.enabled || s.state === "disabled") continue;
    if (s.state === "failed") errors.push(`${s.name} has failed${s.lastError ? `: ${s.lastError.message}` : ""}`);
    else if (s.state === "stopped" || s.state === "stopping") errors.push(`${s.name} is ${s.state}`);
    else if (s.state === "starting") warnings.push(`${s.name} is starting`);
    const transport = s.details?.transport;
    if (transport && transport.state !== "up") {
      errors.push(`${s.name}: the ${transport.kind} transport is ${transport.state}`);
    }
    if (s.details?.paused === true) warnings.push(`${s.name} is paused`);
    if (s.consecutiveFailures > 0) {
      warnings.push(`${s.name}: ${s.consecutiveFailures} failed run${s.consecutiveFailures === 1 ? "" : "s"} in a row`);
    }
  }
  const enabled = services.filter((s) => s.enabled && s.state !== "disabled").length;
  const disabled = services.length - enabled;
  const problems = [...errors, ...warnings];
  if (errors.length > 0) return { level: "error", headline: plural(problems.length, "problem"), problems };
  if (warnings.length > 0) return { level: "warn", headline: plural(problems.length, "warning"), problems };
  const off = disabled > 0 ? `; ${disabled} disabled` : "";
  return { level: "ok", headline: `All ${plural(enabled, "enabled service")} running${off}`, problems };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
