import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../helpers/steward-process.js";

/**
 * The other half of the docs check (test/e2e/docs-commands.test.ts runs the commands): every
 * relative link in the README and docs/ reaches a file that exists and, for a link into a
 * markdown file, a heading it has. The README moved to docs/ in pieces; this keeps them joined.
 */

const docFiles = (): string[] => [
  "README.md",
  ...fs
    .readdirSync(path.join(projectRoot, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => path.join("docs", name)),
];

function readIfExists(file: string): string | undefined {
  const full = path.join(projectRoot, file);
  return fs.existsSync(full) && fs.statSync(full).isFile() ? fs.readFileSync(full, "utf8") : undefined;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The text's lines outside fenced blocks, numbered from 1. */
function prose(text: string): Array<[number, string]> {
  let fenced = false;
  const out: Array<[number, string]> = [];
  text.split("\n").forEach((line, i) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced) out.push([i + 1, line]);
  });
  return out;
}

/** Every heading's anchor; a repeated heading gets -1, -2, ... as on GitHub. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, line] of prose(text)) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative links whose file or heading does not exist, as `file:line: target`. */
function brokenLinks(file: string): string[] {
  const text = fs.readFileSync(path.join(projectRoot, file), "utf8");
  const broken: string[] = [];
  for (const [number, line] of prose(text)) {
    // Inline code is not a link, whatever it holds.
    for (const match of line.replace(/`[^`]*`/g, "``").matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] as string;
      if (/^[a-z]+:/i.test(target)) continue;
      const [linked = "", anchor] = target.split("#");
      const resolved = linked === "" ? file : path.join(path.dirname(file), linked);
      const content = readIfExists(resolved);
      const ok =
        content !== undefined && (anchor === undefined || !resolved.endsWith(".md") || anchorsOf(content).has(anchor));
      if (!ok) broken.push(`${file}:${number}: ${target}`);
    }
  }
  return broken;
}

describe("docs links", () => {
  it("finds a heading's anchor as GitHub makes it", () => {
    expect(slug("Rows inserted straight into email_jobs")).toBe("rows-inserted-straight-into-email_jobs");
    expect(slug("One email, from POST to SMTP")).toBe("one-email-from-post-to-smtp");
    expect([...anchorsOf("# A\n```sh\n# not a heading\n```\n## A\n")]).toEqual(["a", "a-1"]);
  });

  it("links only to files and headings that exist", () => {
    expect(docFiles().length).toBeGreaterThan(5);
    expect(docFiles().flatMap(brokenLinks)).toEqual([]);
  });
});
