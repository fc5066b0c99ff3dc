import type { EmailJob } from "../../store/job.js";
import type { Refusal } from "../../store/recipients.js";
import type { OutgoingMessage } from "../message.js";

export interface SendResult {
  /** Recipients the server took. */
  accepted: string[];
  /** Recipients the server refused at RCPT TO while taking the message for the others. */
  refusals: Refusal[];
}

/** Where messages go: a pooled SMTP connection, the outbox folder, or (benchmarks) nowhere. */
export interface EmailTransport {
  /** `smtp`, `outbox`, ... shown in status. */
  readonly kind: string;
  /** Resolves when the message was accepted; rejects with the transport's error otherwise. */
  send(message: OutgoingMessage, signal: AbortSignal): Promise<SendResult>;
  /**
   * Builds the job's message and sends it elsewhere (a sender thread, EMAIL_SEND_THREADS): when
   * present, the worker pool calls this instead of building the message itself and calling send.
   * Build errors come back as the same EmailValidationError.
   */
  sendJob?(job: EmailJob, signal: AbortSignal): Promise<SendResult>;
  /**
   * Connects (and logs in) without sending: the circuit breaker's probe while the server is
   * down. Absent for a transport that has no server to lose.
   */
  verify?(): Promise<void>;
  /** Closes connections; sends in flight finish first. */
  close(): Promise<void>;
}
