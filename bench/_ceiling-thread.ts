/**
 * One thread of the multi-thread SMTP ceiling (bench/email.ts part b): a nodemailer pool of its
 * own with its share of the connections, kept for every round as a running service keeps its
 * sender threads (a fresh thread would spend the round compiling nodemailer). Each round it is
 * handed its messages, then on "go" sends them all straight to the sink.
 */
import { parentPort, workerData } from "node:worker_threads";
import nodemailer, { type SendMailOptions } from "nodemailer";
import { type SmtpSettings, smtpPoolOptions } from "../src/services/email/send/transports/smtp.js";

type Request = { op: "load"; mails: SendMailOptions[] } | { op: "go" };

const { smtp } = workerData as { smtp: SmtpSettings };
const transporter = nodemailer.createTransport(smtpPoolOptions(smtp));
let mails: SendMailOptions[] = [];
parentPort?.on("message", async (m: Request) => {
  if (m.op === "load") {
    mails = m.mails;
    parentPort?.postMessage("loaded");
    return;
  }
  await Promise.all(mails.map((mail) => transporter.sendMail(mail)));
  parentPort?.postMessage("done");
});
