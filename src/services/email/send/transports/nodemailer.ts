import { createRequire } from "node:module";
import type nodemailer from "nodemailer";

/**
 * nodemailer, loaded when a transport is made rather than when the queue's code is: a process
 * that never sends (the CLI, a host without the queue) does not hold its 5 MB or so, and the
 * outbox transport only loads it with its first message. Required (its CommonJS build), so a
 * transport is still made synchronously, and every caller shares one copy.
 */
export function loadNodemailer(): typeof nodemailer {
  return createRequire(import.meta.url)("nodemailer") as typeof nodemailer;
}
