import { afterEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { intervalDefinition, probe } from "../fakes/test-services.js";
import { testApp } from "../helpers/app.js";
import { waitForEvent } from "../helpers/wait.js";

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

/** The host's next event of `name` about `service`; listening starts at the call. */
const next = <K extends "service:failed" | "run:recorded">(host: App, name: K, service: string) =>
  waitForEvent(host.events, name, (event) => event.service === service);

describe("supervisor", () => {
  it("marks a throwing service failed, alerts, and restarts it with backoff while another keeps running", async () => {
    const clock = new FakeClock();
    const flaky = probe();
    const steady = probe();
    flaky.failNext = 3;
    const t = testApp(
      [
        intervalDefinition("flaky", flaky, { intervalMs: 60_000 }),
        intervalDefinition("steady", steady, { intervalMs: 1_000 }),
      ],
      { clock },
    );
    app = t.app;
    const firstFailure = next(app, "service:failed", "flaky");
    await app.start();
    await firstFailure;
    expect(app.supervisor.statusOf("flaky")?.state).toBe("failed");
    expect(t.alerts.map((a) => a.key)).toContain("service-failed:flaky");
    const failed = app.supervisor.statusOf("flaky");
    expect(failed?.lastError?.message).toBe("flaky pass failed");
    // Restarts come after 1 s, 2 s, 4 s (jitter takes away at most a quarter).
    // Measured from the failure itself: the fake clock may have moved on past it within an advance.
    const restartAt = (s: typeof failed) => Date.parse(s?.nextRunAt ?? "") - Date.parse(s?.lastError?.at ?? "");
    expect(restartAt(failed)).toBeGreaterThan(750 - 1);
    expect(restartAt(failed)).toBeLessThanOrEqual(1_000);

    const secondFailure = next(app, "service:failed", "flaky");
    await clock.advance(1_000);
    await secondFailure;
    expect(flaky.passes).toBe(2);
    expect(app.supervisor.statusOf("flaky")?.state).toBe("failed");
    const second = restartAt(app.supervisor.statusOf("flaky"));
    expect(second).toBeGreaterThan(1_500 - 1);
    expect(second).toBeLessThanOrEqual(2_000);
    const thirdFailure = next(app, "service:failed", "flaky");
    await clock.advance(2_000);
    await thirdFailure;
    expect(flaky.passes).toBe(3);
    expect(app.supervisor.statusOf("flaky")?.state).toBe("failed");
    expect(restartAt(app.supervisor.statusOf("flaky"))).toBeGreaterThan(3_000 - 1);
    const recovery = waitForEvent(app.events, "run:recorded", (run) => run.service === "flaky" && run.error === null);
    await clock.advance(4_000);
    await recovery;
    expect(flaky.passes).toBe(4);
    expect(app.supervisor.statusOf("flaky")?.state).toBe("running");

    const flakyStatus = app.supervisor.statusOf("flaky");
    expect(flakyStatus?.consecutiveFailures).toBe(0);
    expect(flakyStatus?.failures).toBe(3);
    expect(flaky.starts).toBe(4);
    // The steady service ran on its own schedule the whole time.
    expect(steady.passes).toBeGreaterThanOrEqual(7);
    expect(app.supervisor.statusOf("steady")?.state).toBe("running");
    expect(app.supervisor.statusOf("steady")?.failures).toBe(0);
  });

  it("retries a service whose start fails, and alerts once per cool-down", async () => {
    const clock = new FakeClock();
    const p = probe();
    p.failStarts = 2;
    const t = testApp([intervalDefinition("fragile", p)], { clock });
    app = t.app;
    await app.start();
    expect(app.supervisor.statusOf("fragile")?.state).toBe("failed");
    const secondStartFailed = next(app, "service:failed", "fragile");
    await clock.advance(1_000);
    await secondStartFailed;
    expect(p.starts).toBe(2);
    const firstPass = next(app, "run:recorded", "fragile");
    await clock.advance(2_000);
    await firstPass;
    expect(app.supervisor.statusOf("fragile")?.state).toBe("running");
    expect(p.passes).toBe(1);
    // Two failures within the default one-hour cool-down: one alert delivered.
    expect(t.alerts.filter((a) => a.key === "service-failed:fragile")).toHaveLength(1);
  });

  it("lists disabled services as disabled and never starts them", async () => {
    const p = probe();
    const t = testApp([intervalDefinition("off", p, { enabled: false })]);
    app = t.app;
    await app.start();
    expect(app.supervisor.statusOf("off")).toMatchObject({ state: "disabled", enabled: false });
    expect(p.starts).toBe(0);
  });

  it("is safe to stop before start, to stop twice, and to start and stop concurrently", async () => {
    const clock = new FakeClock();
    const p = probe();
    const t = testApp([intervalDefinition("svc", p, { intervalMs: 1_000 })], { clock });
    app = t.app;
    await app.supervisor.stop();
    await Promise.all([app.start(), app.stop(), app.stop()]);
    expect(app.ready).toBe(false);
    // Nothing left behind: no sleeper is pending on the clock, and the database is closed.
    expect(clock.pendingSleeps).toBe(0);
    await expect(app.db.sql.get("select 1")).rejects.toThrow();
    expect(p.starts).toBe(p.stops);
  });

  it("survives restarts with its counts: status reads the persisted state", async () => {
    const cwd = (await import("../helpers/db.js")).tempDir();
    const clock = new FakeClock();
    const p = probe();
    const first = testApp([intervalDefinition("svc", p, { intervalMs: 60_000 })], { clock, cwd });
    const firstPass = next(first.app, "run:recorded", "svc");
    await first.app.start();
    await firstPass;
    expect(p.passes).toBe(1);
    const secondPass = next(first.app, "run:recorded", "svc");
    await clock.advance(60_000);
    await secondPass;
    expect(first.app.supervisor.statusOf("svc")?.runs).toBe(2);
    await first.app.stop();
    const second = testApp([intervalDefinition("svc", p, { intervalMs: 60_000 })], { clock, cwd });
    app = second.app;
    await app.start();
    const status = app.supervisor.statusOf("svc");
    expect(status?.runs).toBe(2);
    // The cadence follows the last persisted run: no immediate pass after a restart.
    expect(p.passes).toBe(2);
    expect(status?.nextRunAt).toBe(new Date(clock.now().getTime() + 60_000).toISOString());
  });
});
