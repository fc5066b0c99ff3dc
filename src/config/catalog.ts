import { backupVars } from "./backup.js";
import { emailVars } from "./email.js";
import type { Var } from "./fields.js";
import { hostVars } from "./host.js";
import { lifecycleVars, videoVars } from "./schedulers.js";

/** Every variable Steward reads, grouped as .env.example and the README list them. */
export const catalog: ReadonlyArray<{ title: string; vars: Record<string, Var<unknown>> }> = [
  { title: "Host", vars: hostVars },
  { title: "Email queue", vars: emailVars },
  { title: "Lifecycle scheduler", vars: lifecycleVars },
  { title: "Video animation scheduler", vars: videoVars },
  { title: "Backups", vars: backupVars },
];

export function allVars(): Map<string, Var<unknown>> {
  const out = new Map<string, Var<unknown>>();
  for (const group of catalog) for (const [name, spec] of Object.entries(group.vars)) out.set(name, spec);
  return out;
}

/** The text of config/.env.example; a test keeps the file equal to it. */
export function renderEnvExample(): string {
  const lines = [
    "# Steward configuration. Every variable is optional; the value shown is the default.",
    "# Copy to .env in the working directory (the environment wins over the file).",
  ];
  for (const group of catalog) {
    lines.push("", `# --- ${group.title} ---`);
    for (const [name, spec] of Object.entries(group.vars)) {
      const note = spec.defaultNote ? ` (default: ${spec.defaultNote})` : "";
      lines.push(`# ${spec.describe}${note}`);
      lines.push(`# ${name}=${spec.default ?? ""}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
