import type { OutgoingMessage } from "../message.js";

export interface SendResult {
  /** Recipients the server took. */
  accepted: string[];
  /** Recipients the server refused while taking the message for the others. */
  rejected: string[];
  /** The refusals' replies, one line, for the job's record. */
  rejectedDetail: string | null;
  /** The code of the first refusal, if any. */
  rejectedCode: number | null;
}

/** Where messages go: a pooled SMTP connection, the outbox folder, or (benchmarks) nowhere. */
export interface EmailTransport {
  /** `smtp`, `outbox`, ... shown in status. */
  readonly kind: string;
  /** Resolves when the message was accepted; rejects with the transport's error otherwise. */
  send(message: OutgoingMessage, signal: AbortSignal): Promise<SendResult>;
  /** Closes connections; sends in flight finish first. */
  close(): Promise<void>;
}
