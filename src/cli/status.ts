import type { Command } from "commander";
import type { Config } from "../config/load.js";
import { UserError } from "../core/errors.js";
import { clusterState, disabledStatus, type ServiceStatus } from "../core/service.js";
import { SqlServiceStateStore } from "../db/coordination/service-state.js";
import type { CommandContext, ServiceDefinition } from "../services/contract.js";
import type { CliRuntime } from "./runtime.js";
import { ago, configFrom, table, withDatabase, writeJson } from "./shared.js";

interface StatusView {
  source: "process" | "database";
  services: Record<string, ServiceStatus>;
}

export function registerStatus(program: Command, { rt, definitions, setExit }: CommandContext): void {
  program
    .command("status [name]")
    .description("show each service's status (exit 1 if a named or any enabled service is failed)")
    .option("--json", "print JSON")
    .action(async (name: string | undefined, opts: { json?: boolean }) => {
      const config = configFrom(rt);
      const view = (await fromProcess(config)) ?? (await fromDatabase(config, rt, definitions));
      const services = name ? pick(view.services, name) : view.services;
      const notice = `No Steward process answered at ${statusUrl(config)}; showing the state persisted in the database.\n`;
      if (opts.json) {
        // One service's JSON is the bare ServiceStatus, so where it came from goes to stderr.
        if (name && view.source === "database") rt.stderr.write(notice);
        writeJson(rt, name ? services[name] : { source: view.source, services });
      } else {
        if (view.source === "database") rt.stdout.write(notice);
        rt.stdout.write(render(Object.values(services), rt.clock.now()));
      }
      const failed = Object.values(services).some((s) => s.enabled && s.state === "failed");
      if (failed) setExit(1);
    });
}

function pick(services: Record<string, ServiceStatus>, name: string): Record<string, ServiceStatus> {
  const status = services[name];
  if (!status) {
    throw new UserError(`no such service: ${name} (known: ${Object.keys(services).join(", ") || "none"})`);
  }
  return { [name]: status };
}

function statusUrl(config: Config): string {
  // A server bound to every interface is reached on loopback.
  const host = ["0.0.0.0", "::"].includes(config.status.host) ? "127.0.0.1" : config.status.host;
  const shown = host.includes(":") ? `[${host}]` : host;
  return `http://${shown}:${config.status.port}/status`;
}

async function fromProcess(config: Config): Promise<StatusView | undefined> {
  try {
    // Off loopback /status needs the token; sending it on loopback too does no harm.
    const headers: Record<string, string> = config.adminToken ? { authorization: `Bearer ${config.adminToken}` } : {};
    const response = await fetch(statusUrl(config), { headers, signal: AbortSignal.timeout(2_000) });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { services: Record<string, ServiceStatus> };
    return { source: "process", services: body.services };
  } catch {
    return undefined;
  }
}

async function fromDatabase(
  config: Config,
  rt: CliRuntime,
  definitions: readonly ServiceDefinition[],
): Promise<StatusView> {
  const liveSince = new Date(rt.clock.now().getTime() - 60_000);
  const [saved, live] = await withDatabase(config, async (db) => {
    const store = new SqlServiceStateStore(db.sql);
    return Promise.all([store.list(), store.liveStates(liveSince)]);
  });
  const byName = new Map(saved.map((s) => [s.service, s]));
  const services: Record<string, ServiceStatus> = {};
  for (const definition of definitions) {
    const name = definition.name;
    const enabled = definition.enabled(config);
    const s = byName.get(name);
    if (!enabled || !s) {
      services[name] = { ...disabledStatus(name), enabled, state: enabled ? "stopped" : "disabled" };
      continue;
    }
    const instances = live.filter((l) => l.service === name);
    services[name] = {
      name,
      enabled,
      state: clusterState(
        s.state,
        instances.map((i) => i.state),
      ),
      leader: null,
      startedAt: null,
      lastRunAt: s.lastRunAt?.toISOString() ?? null,
      lastSuccessAt: s.lastSuccessAt?.toISOString() ?? null,
      lastError: s.lastError ? { message: s.lastError.message, at: s.lastError.at?.toISOString() ?? "" } : null,
      nextRunAt: s.nextRunAt?.toISOString() ?? null,
      runs: s.runs,
      failures: s.failures,
      consecutiveFailures: s.consecutiveFailures,
      details: {
        ...(s.details ?? {}),
        lastInstance: s.lastInstance,
        instances: instances.map((i) => ({ instance: i.instance, state: i.state })),
      },
    };
  }
  return { source: "database", services };
}

function render(services: ServiceStatus[], now: Date): string {
  if (services.length === 0) return "No services are registered.\n";
  return table(
    ["SERVICE", "STATE", "LEADER", "LAST RUN", "LAST SUCCESS", "NEXT RUN", "RUNS", "FAILURES", "LAST ERROR"],
    services.map((s) => [
      s.name,
      s.state,
      s.leader === null ? "-" : s.leader ? "yes" : "no",
      ago(s.lastRunAt, now),
      ago(s.lastSuccessAt, now),
      ago(s.nextRunAt, now),
      String(s.runs),
      String(s.failures),
      s.lastError ? s.lastError.message.slice(0, 60) : "-",
    ]),
  );
}
