import { describe, expect, it } from "vitest";
import { EmailValidationError } from "../../src/services/email/enqueue/validation-error.js";
import { classifySendError } from "../../src/services/email/send/classify.js";
import { fromWire, toWire } from "../../src/services/email/send/threads/protocol.js";
import { sharePool } from "../../src/services/email/send/threads/thread-transport.js";
import { refusalsOf } from "../../src/services/email/store/recipients.js";

describe("sender threads: what crosses between threads", () => {
  it("shares SMTP_POOL_SIZE among the threads, as evenly as it goes, the total kept", () => {
    expect(sharePool(5, 2)).toEqual([3, 2]);
    expect(sharePool(4, 4)).toEqual([1, 1, 1, 1]);
    expect(sharePool(7, 3)).toEqual([3, 2, 2]);
  });

  it("brings a send error back classified as the main thread would have classified it", () => {
    const smtp = Object.assign(new Error("Message rejected: mailbox full"), {
      code: "EMESSAGE",
      responseCode: 452,
      response: "452 4.2.2 mailbox full",
      command: "DATA",
    });
    const greeting = Object.assign(new Error("Greeting never received"), { code: "ETIMEDOUT", command: "CONN" });
    const partial = Object.assign(new Error("Can't send mail - some recipients were rejected"), {
      code: "EENVELOPE",
      rejectedErrors: [{ recipient: "b@example.com", responseCode: 550, response: "550 no such user" }],
    });
    for (const error of [smtp, greeting, partial, new EmailValidationError("no recipient")]) {
      const back = fromWire(structuredClone(toWire(error)));
      expect(classifySendError(back)).toEqual(classifySendError(error));
      expect(refusalsOf((back as { rejectedErrors?: unknown }).rejectedErrors)).toEqual(
        refusalsOf((error as { rejectedErrors?: unknown }).rejectedErrors),
      );
    }
    expect(fromWire(toWire(new EmailValidationError("x")))).toBeInstanceOf(EmailValidationError);
  });
});
