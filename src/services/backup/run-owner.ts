/**
 * Who runs a backup: `instance/hostname/pid`. It is the holder of the job's lease and is kept
 * on the backup's row, so that a later start can tell a live run from one whose process died
 * (SIGKILL, a crash) and left its row `running`.
 */
export function ownerId(instanceId: string, hostname: string, pid: number): string {
  return `${instanceId}/${hostname}/${pid}`;
}

export function parseOwner(owner: string): { instanceId: string; hostname: string; pid: number } | undefined {
  const parts = owner.split("/");
  if (parts.length < 3) return undefined;
  const pid = Number(parts.at(-1));
  const hostname = parts.at(-2) as string;
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { instanceId: parts.slice(0, -2).join("/"), hostname, pid };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * True when `owner` ran on this machine and its process is gone: no need to wait for its
 * lease to expire. Owners on other machines are judged by their lease alone.
 */
export function ownerDeadHere(owner: string, hostname: string, alive: (pid: number) => boolean = pidAlive): boolean {
  const parsed = parseOwner(owner);
  if (!parsed || parsed.hostname !== hostname) return false;
  return !alive(parsed.pid);
}
