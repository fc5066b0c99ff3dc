import type { SendMailOptions } from "nodemailer";
import type { WireError } from "../threads/protocol.js";
import type { ComposedMail } from "./compose.js";

/** Messages to compose, by request number (plain data: addresses, strings, headers), or "stop". */
export type ToComposer = Array<{ n: number; mail: SendMailOptions }> | "stop";

export type ComposeAnswer =
  | { n: number; ok: true; composed: ComposedMail }
  | { n: number; ok: false; error: WireError };

export type FromComposer = { batch: ComposeAnswer[] };
