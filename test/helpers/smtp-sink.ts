import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerSession } from "smtp-server";
import type { SmtpSettings } from "../../src/services/email/send/transports/smtp.js";

/** What the sink does with one message, decided once its headers have arrived. */
export type Verdict = "accept" | "drop" | { code: number; message?: string };

export interface AttemptInfo {
  messageId: string;
  /** 1 for the first time this Message-ID reaches DATA, 2 for the next, ... */
  attempt: number;
  /** Recipients the sink took at RCPT TO. */
  recipients: string[];
}

export interface SinkOptions {
  /** Listen here (restart reuses the port it got). */
  port?: number;
  /** Require this login (AUTH PLAIN/LOGIN over the plain loopback connection). */
  auth?: { user: string; pass: string };
  /** Per message and attempt: accept, answer with a code (451, 550, ...), or drop the connection mid-DATA. */
  verdict?: (info: AttemptInfo) => Verdict;
  /** Refuse one recipient at RCPT TO (partial rejection). */
  refuseRecipient?: (address: string) => { code: number; message?: string } | null;
  /** Holds the final reply to a message until the promise settles (a slow server, a send in flight). */
  gate?: (info: AttemptInfo) => Promise<void> | undefined;
  /** Keep accepted messages parsed with mailparser (default true); benchmarks turn it off. */
  parse?: boolean;
}

export interface SinkMessage {
  messageId: string;
  /** MAIL FROM's address ("" for a null sender). */
  envelopeFrom: string;
  envelopeTo: string[];
  raw: Buffer;
  parsed: ParsedMail | undefined;
  acceptedAt: number;
}

export interface AttemptRecord extends AttemptInfo {
  at: number;
  verdict: "accept" | "drop" | number;
}

/**
 * A real SMTP server (smtp-server) on a loopback port for tests and benchmarks. It answers
 * per message and attempt as told, can drop a connection in the middle of DATA, can be
 * stopped and started again on the same port, and keeps what it accepted, parsed.
 */
export class SmtpSink {
  readonly messages: SinkMessage[] = [];
  readonly attempts: AttemptRecord[] = [];
  private readonly seen = new Map<string, number>();
  /** SMTP sessions opened so far (a pooled client opens few for many messages). */
  connections = 0;
  private server: SMTPServer | undefined;
  private waiters: Array<{ test: () => boolean; resolve: () => void }> = [];
  port = 0;

  private constructor(private readonly options: SinkOptions) {}

  static async start(options: SinkOptions = {}): Promise<SmtpSink> {
    const sink = new SmtpSink(options);
    await sink.listen(options.port ?? 0);
    return sink;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** SMTP settings for a transport of the test's own that sends here (plain loopback, no login). */
  smtpSettings(poolSize: number): SmtpSettings {
    return {
      host: "127.0.0.1",
      port: this.port,
      secure: false,
      user: undefined,
      password: undefined,
      poolSize,
      timeoutMs: 30_000,
    };
  }

  /** Accepted messages per Message-ID (duplicates show as counts above 1). */
  countsById(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of this.messages) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
    return counts;
  }

  attemptsFor(messageId: string): AttemptRecord[] {
    return this.attempts.filter((a) => a.messageId === messageId);
  }

  /** Resolves once `n` messages have been accepted. */
  waitForMessages(n: number, timeoutMs = 30_000): Promise<void> {
    return this.waitUntil(
      () => this.messages.length >= n,
      timeoutMs,
      () => `${n} messages (have ${this.messages.length})`,
    );
  }

  /** Resolves once `n` attempts (accepted, refused or dropped) have reached DATA. */
  waitForAttempts(n: number, timeoutMs = 30_000): Promise<void> {
    return this.waitUntil(
      () => this.attempts.length >= n,
      timeoutMs,
      () => `${n} attempts (have ${this.attempts.length})`,
    );
  }

  waitUntil(test: () => boolean, timeoutMs = 30_000, what: () => string = () => "condition"): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`smtp sink: timed out waiting for ${what()}`));
      }, timeoutMs);
      const waiter = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Closes the port and cuts every open connection, like a server going down. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const connection of server.connections) connection._socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Comes back on the same port. */
  async restart(): Promise<void> {
    await this.listen(this.port);
  }

  private async listen(port: number): Promise<void> {
    const server = new SMTPServer({
      logger: false,
      disabledCommands: this.options.auth ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
      authOptional: !this.options.auth,
      allowInsecureAuth: true,
      disableReverseLookup: true,
      onAuth: (auth, _session, callback) => {
        const ok = auth.username === this.options.auth?.user && auth.password === this.options.auth?.pass;
        if (ok) callback(null, { user: auth.username });
        else callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
      },
      onConnect: (_session, callback) => {
        this.connections += 1;
        callback();
      },
      onRcptTo: (address, _session, callback) => {
        const refusal = this.options.refuseRecipient?.(address.address);
        if (refusal) {
          callback(Object.assign(new Error(refusal.message ?? "Recipient refused"), { responseCode: refusal.code }));
        } else callback();
      },
      onData: (stream, session, callback) => this.onData(stream, session, callback),
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", () => {});
    this.server = server;
    this.port = (server.server.address() as { port: number }).port;
  }

  private onData(
    stream: NodeJS.ReadableStream,
    session: SMTPServerSession,
    callback: (err?: Error | null) => void,
  ): void {
    const chunks: Buffer[] = [];
    let verdict: Verdict | undefined;
    let info: AttemptInfo | undefined;
    stream.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (verdict !== undefined) return;
      const head = Buffer.concat(chunks).toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      const messageId = /^message-id:\s*(\S+)/im.exec(head.slice(0, end))?.[1] ?? "";
      const attempt = (this.seen.get(messageId) ?? 0) + 1;
      this.seen.set(messageId, attempt);
      info = { messageId, attempt, recipients: session.envelope.rcptTo.map((r) => r.address) };
      verdict = this.options.verdict?.(info) ?? "accept";
      if (verdict === "drop") {
        this.record(info, "drop");
        this.socketOf(session)?.destroy();
      }
    });
    stream.on("end", () => {
      const gate = info && verdict !== "drop" ? this.options.gate?.(info) : undefined;
      if (gate) void gate.then(() => this.finish(verdict, info, chunks, session, callback));
      else this.finish(verdict, info, chunks, session, callback);
    });
  }

  private finish(
    verdict: Verdict | undefined,
    info: AttemptInfo | undefined,
    chunks: Buffer[],
    session: SMTPServerSession,
    callback: (err?: Error | null) => void,
  ): void {
    if (verdict === "drop" || !info) {
      if (!info) callback(Object.assign(new Error("No headers"), { responseCode: 554 }));
      return;
    }
    if (verdict !== undefined && verdict !== "accept") {
      this.record(info, verdict.code);
      callback(
        Object.assign(new Error(verdict.message ?? `Refused with ${verdict.code}`), { responseCode: verdict.code }),
      );
      return;
    }
    this.record(info, "accept");
    // Kept (and parsed) before the 250 goes out: whatever the sender saw accepted is already
    // in `messages` when its caller looks.
    const from = session.envelope.mailFrom;
    void this.keep(info, from ? from.address : "", Buffer.concat(chunks)).then(
      () => callback(),
      (error: unknown) => callback(error as Error),
    );
  }

  private async keep(info: AttemptInfo, envelopeFrom: string, raw: Buffer): Promise<void> {
    const parsed = this.options.parse === false ? undefined : await simpleParser(raw);
    this.messages.push({
      messageId: info.messageId,
      envelopeFrom,
      envelopeTo: info.recipients,
      raw,
      parsed,
      acceptedAt: Date.now(),
    });
    this.check();
  }

  private record(info: AttemptInfo, verdict: AttemptRecord["verdict"]): void {
    this.attempts.push({ ...info, at: Date.now(), verdict });
    this.check();
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }

  private socketOf(session: SMTPServerSession) {
    for (const connection of this.server?.connections ?? []) {
      if (connection.session.id === session.id) return connection._socket;
    }
    return undefined;
  }
}
