import type { Sql } from "../sql.js";
import { toDate } from "../sql.js";
import { type InstanceInfo, InstanceStore } from "./instances.js";

export interface ClusterMember extends Omit<InstanceInfo, "stoppedAt"> {
  /** The services this process runs (its own state of each is starting or running). */
  services: string[];
  /** The services whose lease it holds: the leader of a pass, the runner of a backup job. */
  leads: string[];
}

/**
 * The processes alive (heard from since `since`), what each runs and what each leads. Leases
 * are named after their service (`lifecycle`, `backup:database`) and held as `<instance>/...`,
 * so both are read from tables the processes already keep, with no extra bookkeeping.
 */
export async function clusterMembers(sql: Sql, since: Date, now: Date): Promise<ClusterMember[]> {
  const alive = await new InstanceStore(sql).alive(since);
  if (alive.length === 0) return [];
  const states = await sql.all<{ service: string; instance: string }>(
    `select service, instance from service_instance_state where state in ('starting', 'running')
     order by service`,
  );
  const leases = await sql.all<{ name: string; holder: string; expires_at: unknown }>(
    "select name, holder, expires_at from leases order by name",
  );
  return alive.map(({ stoppedAt: _, ...info }) => {
    const services = states.filter((s) => s.instance === info.id).map((s) => s.service);
    const leads = new Set<string>();
    for (const lease of leases) {
      const expires = toDate(lease.expires_at);
      if (!expires || expires.getTime() <= now.getTime() || !lease.holder.startsWith(`${info.id}/`)) continue;
      leads.add(lease.name.split(":")[0] ?? lease.name);
    }
    return { ...info, services, leads: [...leads].sort() };
  });
}
