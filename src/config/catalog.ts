import { backupSection } from "./backup.js";
import { emailSection } from "./email.js";
import type { Var, VarTable } from "./fields.js";
import { hostVars } from "./host.js";
import { lifecycleSection, videoSection } from "./schedulers.js";

/**
 * The services' settings, in the order .env.example and docs/configuration.md list them. A new
 * service adds its section (config/<name>.ts) here; Config then has `config.<key>`, and load.ts
 * reads and resolves it with the others.
 */
export const serviceSections = [emailSection, lifecycleSection, videoSection, backupSection] as const;

/** Every variable Steward reads, grouped as .env.example and docs/configuration.md list them. */
export const catalog: ReadonlyArray<{ title: string; vars: VarTable }> = [
  { title: "Host", vars: hostVars },
  ...serviceSections,
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
