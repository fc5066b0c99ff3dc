import { describe, expect, it } from "vitest";
import { parseMailboxes, parseWithRfc5322, simpleMailbox } from "../../src/services/email/enqueue/validate.js";
import { EmailValidationError } from "../../src/services/email/enqueue/validation-error.js";

/** What the RFC 5322 parser makes of an entry: its mailboxes, or the error it throws. */
function viaParser(entry: string): string[] | string {
  try {
    return parseWithRfc5322("to", entry);
  } catch (error) {
    if (error instanceof EmailValidationError) return error.message;
    throw error;
  }
}

function viaEnqueue(entry: string): string[] | string {
  try {
    return parseMailboxes("to", entry);
  } catch (error) {
    if (error instanceof EmailValidationError) return error.message;
    throw error;
  }
}

describe("the address fast path", () => {
  it("takes the common forms and gives what the RFC 5322 parser gives", () => {
    const common = [
      "a@b.com",
      "A.B+tag@Ex-ample.COM",
      "a@b",
      "_a@b.c_d",
      "a%b@c.com",
      "o'neil@x.com",
      "a@1.2.3.4",
      "John Smith <j@x.com>",
      "x <a@b.com>",
      "O'Neil <o@x.com>",
      "A B C <first.last+x@sub.example.co.uk>",
      "=?utf-8?q?x?= <a@b.com>",
      "a@-b.com",
    ];
    for (const entry of common) {
      expect(simpleMailbox(entry), entry).not.toBeNull();
      expect(viaEnqueue(entry), entry).toEqual(viaParser(entry));
    }
  });

  it("leaves every unusual form to the parser, which gives the same answer as before", () => {
    const unusual = [
      " a@b.com",
      "a@b.com ",
      "<a@b.com>",
      "John   Smith <j@x.com>",
      "John Smith<j@x.com>",
      "John  <j@x.com>",
      "Jo <a@b.com> ",
      '"Smith, John" <j@x.com>',
      '"Smith  John" <j@x.com>',
      '"" <a@b.com>',
      "Joe Q. Public <j@x.com>",
      "José <j@x.com>",
      "j@exämple.com",
      "a@[1.2.3.4]",
      "a@b.com, c@d.com",
      "a@b.com (work)",
      "undisclosed: ;",
      "team: a@b.com, c@d.com;",
      "a..b@c.com",
      ".a@b.com",
      "a.@b.com",
      "a@b..com",
      "a@b.com.",
      "a@.b.com",
      "reader(at)example.com",
      "nope",
      "",
      "@b.com",
      "a@",
      "a@b@c.com",
      "a\r\n@b.com",
      "Eve <a@b.com>\r\nBcc: x@y.com",
      "a@b.com\0",
      'a"b@c.com',
      "a\\b@c.com",
      "Name <a@b.com",
      "Name a@b.com>",
      "<<a@b.com>>",
    ];
    for (const entry of unusual) {
      expect(simpleMailbox(entry), entry).toBeNull();
      expect(viaEnqueue(entry), entry).toEqual(viaParser(entry));
    }
  });

  it("agrees with the parser on many generated near-miss addresses", () => {
    // Pieces that sit on the edges of the fast path's grammar, joined at random (seeded).
    const pieces = [
      "a",
      "B",
      "9",
      ".",
      "@",
      " ",
      "<",
      ">",
      '"',
      ",",
      "-",
      "_",
      "+",
      "'",
      "é",
      "(",
      ")",
      "[",
      "]",
      "\\",
    ];
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let taken = 0;
    for (let n = 0; n < 1500; n += 1) {
      const length = 1 + Math.floor(random() * 14);
      let entry = "";
      for (let i = 0; i < length; i += 1) entry += pieces[Math.floor(random() * pieces.length)];
      if (simpleMailbox(entry) !== null) taken += 1;
      expect(viaEnqueue(entry), JSON.stringify(entry)).toEqual(viaParser(entry));
    }
    // Built from valid parts, so that the fast path is exercised too, not only its refusals.
    for (let n = 0; n < 1500; n += 1) {
      const word = () => ["jo", "O'N", "a.b", "x+y", "_", "z-9", "q.", ".q"][Math.floor(random() * 8)] as string;
      const address = `${word()}@${word()}`;
      const entry = random() < 0.5 ? address : `${word()}${random() < 0.2 ? "  " : " "}${word()} <${address}>`;
      if (simpleMailbox(entry) !== null) taken += 1;
      expect(viaEnqueue(entry), JSON.stringify(entry)).toEqual(viaParser(entry));
    }
    expect(taken).toBeGreaterThan(300);
  });
});
