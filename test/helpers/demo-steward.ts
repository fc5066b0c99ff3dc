import { tempDir } from "./db.js";
import { baseEnv, runSteward, StewardProcess } from "./steward-process.js";
import { waitFor } from "./wait.js";

export interface DemoSteward {
  proc: StewardProcess;
  port: number;
  url: string;
  /** The process's working directory; its SQLite file is `data/steward.db` there. */
  dir: string;
  /** Authorization header for the API when a token is set. */
  headers: Record<string, string>;
}

/**
 * A real `steward start` on a fresh data directory filled by `steward demo`, returned once both
 * schedulers have acted on the demo (notices recorded, a video shown): what the dashboard's
 * browser tests and screenshots look at. The caller stops `proc`.
 */
export async function startDemoSteward(extra: Record<string, string> = {}): Promise<DemoSteward> {
  const cwd = tempDir();
  // Without SMTP settings the email queue writes to its outbox directory: no server needed.
  const env = baseEnv({ LEASE_TTL_SECONDS: "3", ...extra });
  const proc = new StewardProcess({ env, cwd });
  try {
    const port = await proc.ready();
    const demo = await runSteward(["demo"], { env, cwd });
    if (demo.code !== 0) throw new Error(`steward demo failed: ${demo.stderr}`);
    const url = `http://127.0.0.1:${port}`;
    const headers: Record<string, string> = extra.ADMIN_TOKEN ? { authorization: `Bearer ${extra.ADMIN_TOKEN}` } : {};
    const has = async (path: string) =>
      ((await (await fetch(`${url}${path}`, { headers })).json()) as { items: unknown[] }).items.length > 0;
    await waitFor(async () => (await has("/lifecycle/notices")) && (await has("/video/history")), {
      what: "the schedulers' first passes over the demo",
      everyMs: 50,
    });
    return { proc, port, url, dir: cwd, headers };
  } catch (error) {
    await proc.stop();
    throw error;
  }
}
