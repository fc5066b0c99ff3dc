/**
 * A small typed event hub: the host says what happened (a run recorded, a cron tick decided,
 * an email attempt settled, a service failed) to whoever listens: a test awaiting "the next
 * recorded run" instead of polling for it, later the dashboard. With no listener, an emit
 * costs one map lookup, and a caller on a hot path asks `listening` before building its event.
 */
export class EventHub<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(event: never) => void>>();

  /** Calls `listener` with each `name` event from now on; returns the unsubscribe. */
  on<K extends keyof Events>(name: K, listener: (event: Events[K]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  listening(name: keyof Events): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }

  emit<K extends keyof Events>(name: K, event: Events[K]): void {
    const set = this.listeners.get(name);
    if (!set || set.size === 0) return;
    for (const listener of [...set] as Array<(event: Events[K]) => void>) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own: what happened must not fail because someone watched.
      }
    }
  }
}
