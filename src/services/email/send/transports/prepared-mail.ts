import { randomBytes } from "node:crypto";
import type { SendMailOptions } from "nodemailer";

type Address = string | { name: string; address: string };

/**
 * The two shapes enqueueEmail stores (message.ts's PLAIN_MAILBOX): a bare address, or a quoted
 * name without quotes or backslashes inside and an address. The name is group 1, the address
 * group 2 or 3.
 */
const BARE_OR_QUOTED =
  /^(?:"([^"\\\r\n]*)" <([^\s@<>",;()\\]+@[^\s@<>",;()\\]+)>|([^\s@<>",;()\\]+@[^\s@<>",;()\\]+))$/;

/**
 * A plain mailbox as the object nodemailer's address parser would have made of it. nodemailer
 * parses every address header twice a message (once for the envelope, once for the header):
 * 30 µs of a message's CPU on the thread that drives the sockets. An object it takes as it is,
 * after the same normalisation, so the message on the wire is the same byte for byte
 * (test/unit/email-prepared-mail.test.ts). Anything else stays a string for the parser.
 */
function address(entry: Address): Address {
  if (typeof entry !== "string") return entry;
  const m = BARE_OR_QUOTED.exec(entry);
  if (!m) return entry;
  const name = m[1];
  // The parser trims and collapses a name's spaces: such a name is left to it.
  if (name !== undefined && (name.trim() !== name || name.includes("  "))) return entry;
  return { name: name ?? "", address: (m[2] ?? m[3]) as string };
}

function addresses(value: SendMailOptions["to"]): SendMailOptions["to"] {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.map((e) => address(e as Address)) : address(value as Address);
}

/**
 * Multipart boundaries from a pool of random bytes. nodemailer draws 8 fresh random bytes for
 * every MIME node it makes though only the root's are used; given `baseBoundary`, the root and
 * the multipart nodes under it draw none (the text and HTML leaves still draw theirs: nodemailer
 * does not hand them the option). A boundary has to be unguessable, not drawn one at a time:
 * one draw of 4 KiB serves 512 messages.
 */
export class Boundaries {
  private pool = Buffer.alloc(0);
  private at = 0;

  next(): string {
    if (this.at + 8 > this.pool.length) {
      this.pool = randomBytes(4096);
      this.at = 0;
    }
    this.at += 8;
    return this.pool.toString("hex", this.at - 8, this.at);
  }
}

/**
 * The message for nodemailer's sendMail: its addresses pre-parsed where plain, its boundary
 * drawn from the pool (`baseBoundary`, which nodemailer's mail composer reads from the message
 * though its SendMailOptions type does not list it).
 */
export function preparedMail(
  mail: SendMailOptions,
  boundaries: Boundaries,
): SendMailOptions & { baseBoundary: string } {
  return {
    ...mail,
    from: addresses(mail.from as SendMailOptions["to"]) as SendMailOptions["from"],
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    bcc: addresses(mail.bcc),
    replyTo: addresses(mail.replyTo),
    baseBoundary: boundaries.next(),
  };
}
