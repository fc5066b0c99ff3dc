import type pg from "pg";
import type { Clock } from "../../core/clock.js";
import { toError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { SETTINGS_CHANNEL } from "../../db/coordination/settings.js";
import { loadPg } from "../../db/open.js";

/**
 * PostgreSQL wake-ups across processes: every enqueue sends NOTIFY (delivered when the
 * enqueueing transaction commits) and each running queue LISTENs on a dedicated connection.
 * Channels are per database, not per schema, so the payload names the schema and a listener
 * ignores other schemas' jobs. The same connection LISTENs for changed settings (the pause
 * switch). While it is connected the queue needs no fast poll: `connected` says so.
 */
export const EMAIL_CHANNEL = "steward_email";
export const notifyStatement = `select pg_notify('${EMAIL_CHANNEL}', current_schema())`;

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

export class EmailNotifyListener {
  private client: pg.Client | undefined;
  private schema: string | undefined;
  private stopped = new AbortController();
  private running: Promise<void> | undefined;
  private lostConnection: (() => void) | undefined;
  private listening = false;

  constructor(
    private readonly deps: {
      /** Connection settings of the pool, reused for the dedicated client. */
      clientConfig: pg.ClientConfig;
      clock: Clock;
      logger: Logger;
      onNotify: () => void;
      /** A setting changed in some process (or may have: see `missed`). */
      onSettings: () => void;
    },
  ) {}

  /** True while LISTEN is in place: every enqueue and every change of a setting is announced. */
  get connected(): boolean {
    return this.listening;
  }

  start(): void {
    this.stopped = new AbortController();
    this.running = this.loop(this.stopped.signal);
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    this.lostConnection?.();
    await this.client?.end().catch(() => {});
    await this.running;
  }

  private async loop(stop: AbortSignal): Promise<void> {
    let delay = RECONNECT_MIN_MS;
    while (!stop.aborted) {
      try {
        const { lost } = await this.connect();
        delay = RECONNECT_MIN_MS;
        this.listening = true;
        // Notifications may have been missed while disconnected.
        this.missed();
        await lost;
        this.listening = false;
        // From now on nothing is announced: the loops must look again, and at their fast poll.
        if (!stop.aborted) this.missed();
      } catch (error) {
        this.listening = false;
        if (stop.aborted) return;
        this.deps.logger.warn(
          { err: toError(error), retryInMs: delay },
          "email LISTEN connection failed; reconnecting",
        );
      }
      await this.client?.end().catch(() => {});
      this.client = undefined;
      if (stop.aborted) return;
      await this.deps.clock.sleep(delay, stop);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
  }

  private missed(): void {
    this.deps.onNotify();
    this.deps.onSettings();
  }

  /**
   * Connects and LISTENs; `lost` settles when the connection is lost. Wrapped in an object:
   * an async function returning a promise bare would adopt it, resolving only at the loss.
   */
  private async connect(): Promise<{ lost: Promise<void> }> {
    const client = new (loadPg().Client)(this.deps.clientConfig);
    this.client = client;
    const lost = new Promise<void>((resolve) => {
      this.lostConnection = resolve;
      client.on("error", (error) => {
        this.deps.logger.warn({ err: toError(error) }, "email LISTEN connection lost");
        resolve();
      });
      client.on("end", () => resolve());
    });
    client.on("notification", (message) => {
      if ((message.payload ?? "") !== this.schema) return;
      if (message.channel === EMAIL_CHANNEL) this.deps.onNotify();
      else if (message.channel === SETTINGS_CHANNEL) this.deps.onSettings();
    });
    await client.connect();
    const row = await client.query<{ schema: string }>("select current_schema() as schema");
    this.schema = row.rows[0]?.schema ?? "";
    await client.query(`listen ${EMAIL_CHANNEL}; listen ${SETTINGS_CHANNEL}`);
    return { lost };
  }
}
