/**
 * In-process wake-ups: an enqueue in this process (HTTP, CLI, another service) tells the
 * email workers at once instead of leaving the job to the next poll. Deferred by a turn of
 * the event loop so that a caller's transaction has usually committed by the time a worker
 * looks; when it has not, PostgreSQL's NOTIFY (sent at commit) or the poll picks it up.
 */
const listeners = new Set<() => void>();
let scheduled = false;

export function onEmailEnqueued(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function announceEnqueued(): void {
  if (scheduled || listeners.size === 0) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    for (const listener of listeners) listener();
  });
}
