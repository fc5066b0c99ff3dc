/**
 * Makes start and stop safe in any order: stop before start is a no-op, a second start or
 * stop returns the promise already in flight, stop during start waits for start to finish
 * and then undoes it, and start during stop waits for the stop.
 */
export class StartStop {
  private phase: "idle" | "started" = "idle";
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  get started(): boolean {
    return this.phase === "started";
  }

  start(doStart: () => Promise<void>, undo: () => Promise<void>): Promise<void> {
    if (this.starting) return this.starting;
    if (this.phase === "started" && !this.stopping) return Promise.resolve();
    const after = this.stopping ?? Promise.resolve();
    const run = after.then(async () => {
      try {
        await doStart();
        this.phase = "started";
      } catch (error) {
        // A half-done start leaves timers or connections behind unless it is undone here.
        await undo().catch(() => {});
        throw error;
      }
    });
    this.starting = run.finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  stop(doStop: () => Promise<void>): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.phase === "idle" && !this.starting) return Promise.resolve();
    const after = this.starting ? this.starting.catch(() => {}) : Promise.resolve();
    const run = after.then(async () => {
      if (this.phase !== "started") return;
      try {
        await doStop();
      } finally {
        this.phase = "idle";
      }
    });
    this.stopping = run.finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }
}
