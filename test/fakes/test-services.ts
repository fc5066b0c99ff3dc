import { IntervalService } from "../../src/scheduling/interval-loop.js";
import type { ServiceContext, ServiceDefinition } from "../../src/services/contract.js";

export interface Probe {
  passes: number;
  /** Make the next N passes throw. */
  failNext: number;
  /** Make start() throw this many times. */
  failStarts: number;
  starts: number;
  stops: number;
}

export function probe(): Probe {
  return { passes: 0, failNext: 0, failStarts: 0, starts: 0, stops: 0 };
}

/** An interval service whose passes a test controls through its probe. */
export function intervalDefinition(
  name: string,
  p: Probe,
  options: { intervalMs?: number; leader?: boolean; enabled?: boolean } = {},
): ServiceDefinition {
  return {
    name,
    enabled: () => options.enabled ?? true,
    create(ctx: ServiceContext) {
      const service = new IntervalService(ctx, {
        name,
        intervalMs: options.intervalMs ?? 60_000,
        leader: options.leader ?? false,
        runOnce: async () => {
          p.passes += 1;
          if (p.failNext > 0) {
            p.failNext -= 1;
            throw new Error(`${name} pass failed`);
          }
          return { pass: p.passes };
        },
        details: () => ({ passes: p.passes }),
      });
      const start = service.start.bind(service);
      const stop = service.stop.bind(service);
      service.start = async () => {
        p.starts += 1;
        if (p.failStarts > 0) {
          p.failStarts -= 1;
          throw new Error(`${name} could not start`);
        }
        await start();
      };
      service.stop = async () => {
        p.stops += 1;
        await stop();
      };
      return service;
    },
  };
}
