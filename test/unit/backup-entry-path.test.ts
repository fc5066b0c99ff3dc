import { describe, expect, it } from "vitest";
import { unsafeEntryPath } from "../../src/services/backup/manifest.js";

describe("unsafeEntryPath", () => {
  it.each([
    ["/etc/passwd", "is absolute"],
    ["../up.txt", "contains .."],
    ["a/../../up.txt", "contains .."],
    ["", "is empty"],
    ["a\0b", "contains a NUL byte"],
  ])("refuses %j on every platform (%s)", (name, reason) => {
    expect(unsafeEntryPath(name, false)).toBe(reason);
    expect(unsafeEntryPath(name, true)).toBe(reason);
  });

  it.each([["c:invoice.pdf"], ["..\\notes.txt"], ["\\server"], ["..cache/x"], ["a/b..c"]])(
    "keeps %j, an ordinary POSIX name",
    (name) => {
      expect(unsafeEntryPath(name, false)).toBeUndefined();
    },
  );

  it.each([
    ["c:invoice.pdf", "is absolute"],
    ["\\server\\share", "is absolute"],
    ["..\\notes.txt", "contains .."],
  ])("refuses %j where Windows would read it as a drive or a parent (%s)", (name, reason) => {
    expect(unsafeEntryPath(name, true)).toBe(reason);
  });
});
