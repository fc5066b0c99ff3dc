import fs from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { ConfigError } from "../core/errors.js";
import { allVars, serviceSections } from "./catalog.js";
import { type ConfigSection, Problem, type Values, type VarTable } from "./fields.js";
import { type HostConfig, type HostContext, hostVars, resolveHost, VarProblem } from "./host.js";

type Section = (typeof serviceSections)[number];

/** Each service's settings under its section's key: `config.email`, `config.backup`, ... */
export type ServiceConfigs = { [S in Section as S["key"]]: S extends ConfigSection<string, infer T> ? T : never };

export interface Config extends HostConfig, ServiceConfigs {
  /** Secret values present in this config, for the logger to scrub. */
  secrets: readonly string[];
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadResult {
  config: Config;
  warnings: string[];
}

/**
 * Reads `.env` in the working directory, when present, under the real environment (which
 * wins). Returns the merged variables and where they came from.
 */
export function mergeDotEnv(env: Env, cwd: string, readFile = fs.readFileSync): Env {
  let text: string;
  try {
    text = readFile(path.join(cwd, ".env"), "utf8") as string;
  } catch {
    return env;
  }
  return { ...parseEnv(text), ...env };
}

/** Validates every variable once; throws ConfigError listing each bad one on its own line. */
export function loadConfig(env: Env, ctx: HostContext): LoadResult {
  const problems: string[] = [];
  const read = <T extends VarTable>(table: T): Values<T> => {
    const out: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(table)) {
      try {
        out[name] = spec.read(env[name]);
      } catch (error) {
        problems.push(describe(name, env[name] ?? "", spec.secret, error));
      }
    }
    return out as Values<T>;
  };
  const hostValues = read(hostVars);
  const sectionValues = serviceSections.map((section) => read(section.vars));
  if (problems.length > 0) throw new ConfigError(problems);

  const resolve = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof VarProblem)) throw error;
      problems.push(describe(error.variable, error.value, error.hideValue, error));
      return undefined;
    }
  };
  const host = resolve(() => resolveHost(hostValues, ctx));
  const dirs = { cwd: ctx.cwd, dataDir: host?.dataDir ?? ctx.cwd };
  const sections: Record<string, unknown> = {};
  serviceSections.forEach((section: ConfigSection, i) => {
    sections[section.key] = resolve(() => section.resolve(sectionValues[i] as Record<string, unknown>, dirs));
  });
  if (!host || problems.length > 0) throw new ConfigError(problems);

  // Each key was set from its section above; a ConfigError went out instead if any failed.
  const config: Config = { ...host, ...(sections as ServiceConfigs), secrets: collectSecrets(env, host) };
  return { config: deepFreeze(config), warnings: unknownVariables(env) };
}

function describe(name: string, value: string, secret: boolean, error: unknown): string {
  const reason = error instanceof Problem ? error.message : String(error);
  if (value === "") return `${name}: ${reason}`;
  const shown = secret ? "(hidden)" : JSON.stringify(value);
  return `${name}: ${shown} ${reason}`;
}

function unknownVariables(env: Env): string[] {
  const known = allVars();
  return Object.keys(env)
    .filter((name) => name.startsWith("STEWARD_") && !known.has(name))
    .sort()
    .map((name) => `${name} is not a Steward setting and is ignored`);
}

function collectSecrets(env: Env, host: HostConfig): string[] {
  const out: string[] = [];
  for (const [name, spec] of allVars()) {
    const value = env[name];
    if (spec.secret && value) out.push(value);
  }
  if (host.database.target.dialect === "pg") {
    try {
      const password = decodeURIComponent(new URL(host.database.url).password);
      if (password) out.push(password);
    } catch {
      // not a URL: the text below still finds it
    }
    // What redactDatabaseUrl masks, read off the text: the parser can take part of a password
    // with `/` or `#` in it for a port or a path.
    const raw = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:(.*)@/i.exec(host.database.url)?.[1];
    if (raw) out.push(raw);
  }
  return out;
}

/** The resolved config as JSON-safe data with every secret replaced. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const { secrets, ...rest } = config;
  const text = JSON.stringify(rest, (_key, value) => {
    if (value === undefined) return null;
    if (typeof value !== "string") return value;
    let out = value;
    for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join("***");
    return out;
  });
  return JSON.parse(text) as Record<string, unknown>;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
