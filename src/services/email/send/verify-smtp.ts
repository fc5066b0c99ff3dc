import { loadNodemailer } from "./transports/nodemailer.js";
import type { SmtpSettings } from "./transports/smtp.js";

export interface SmtpCheck {
  connection: { ok: boolean; detail: string };
  /** ok null: no SMTP_USER, so no login was tried. */
  login: { ok: boolean | null; detail: string };
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

/** Connects (and logs in when SMTP_USER is set) without sending anything, and says which step failed. */
export async function verifySmtp(smtp: SmtpSettings): Promise<SmtpCheck> {
  const where = `${smtp.host}:${smtp.port}${smtp.secure ? " (TLS)" : ""}`;
  const transport = loadNodemailer().createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? "" } : undefined,
    connectionTimeout: smtp.timeoutMs,
    greetingTimeout: smtp.timeoutMs,
    socketTimeout: smtp.timeoutMs,
  });
  try {
    await transport.verify();
    return {
      connection: { ok: true, detail: `connected to ${where}` },
      login: smtp.user
        ? { ok: true, detail: `logged in as ${smtp.user}` }
        : { ok: null, detail: "no SMTP_USER set; not logging in" },
    };
  } catch (error) {
    const e = error as { code?: string; response?: string; message?: string };
    const reason = oneLine(e.response ?? e.message ?? String(error));
    if (e.code === "EAUTH" || e.code === "ENOAUTH") {
      return {
        connection: { ok: true, detail: `connected to ${where}` },
        login: { ok: false, detail: `login as ${smtp.user ?? "(none)"} failed: ${reason}` },
      };
    }
    return {
      connection: { ok: false, detail: `cannot connect to ${where}: ${reason}` },
      login: { ok: false, detail: "not tried" },
    };
  } finally {
    transport.close();
  }
}
