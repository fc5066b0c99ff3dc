import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../helpers/steward-process.js";

/**
 * The dashboard never turns a stored value into markup: every node comes from createElement and
 * text from text nodes. These are the ways a string becomes HTML or script in a page; none may
 * appear in the dashboard's source, and index.html has no inline script, style or handler (the
 * CSP would refuse them, but a refusal is a broken page, not a safe one).
 */
const SINKS = [
  /\binnerHTML\b/,
  /\bouterHTML\b/,
  /\binsertAdjacentHTML\b/,
  /\bdocument\.write(ln)?\b/,
  /\bcreateContextualFragment\b/,
  /\bDOMParser\b/,
  /\bsetHTMLUnsafe\b/,
  /\beval\s*\(/,
  /\bnew\s+Function\b/,
  /\bsetAttribute\(\s*["'](style|on\w+)["']/,
];
const INLINE_IN_HTML = [
  /<script(?![^>]*\bsrc=)[^>]*>/i,
  /\sstyle\s*=/i,
  /\son[a-z]+\s*=/i,
  /<style\b/i,
  /javascript:/i,
];

const dir = path.join(projectRoot, "src", "dashboard");

/** `file:line: text` for each line of `text` that matches one of `patterns`. */
function findSinks(file: string, text: string, patterns: RegExp[]): string[] {
  const found: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (patterns.some((p) => p.test(line))) found.push(`${file}:${i + 1}: ${line.trim()}`);
  });
  return found;
}

describe("the dashboard's source has no HTML sinks", () => {
  it("finds one where there is one (the check itself works)", () => {
    const sample = 'row.innerHTML = job.subject;\nel.insertAdjacentHTML("beforeend", x);\nel.textContent = s;';
    expect(findSinks("sample.ts", sample, SINKS)).toEqual([
      "sample.ts:1: row.innerHTML = job.subject;",
      'sample.ts:2: el.insertAdjacentHTML("beforeend", x);',
    ]);
    expect(findSinks("x.html", '<p style="color:red">\n<script>alert(1)</script>', INLINE_IN_HTML)).toHaveLength(2);
    expect(findSinks("x.html", '<script type="module" src="/assets/main.js"></script>', INLINE_IN_HTML)).toEqual([]);
  });

  it("no TypeScript module uses one", () => {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(10);
    const found = files.flatMap((f) => findSinks(f, fs.readFileSync(path.join(dir, f), "utf8"), SINKS));
    expect(found).toEqual([]);
  });

  it("index.html and the favicon carry no inline script, style or handler", () => {
    for (const f of ["index.html", "favicon.svg"]) {
      expect(findSinks(f, fs.readFileSync(path.join(dir, f), "utf8"), INLINE_IN_HTML)).toEqual([]);
    }
  });
});
