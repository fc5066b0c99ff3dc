/**
 * `npm run bench -- dashboard-size`: what a browser downloads for the dashboard's first page,
 * per file and in total, as it arrives (identity) and gzip-compressed (level 6, what a
 * compressing proxy or server sends). The files are the ones index.html names plus every module
 * main.js imports, followed through the import graph: the page loads all of them before it draws.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export interface SizedFile {
  /** The URL path the browser asks for. */
  url: string;
  raw: number;
  gzip: number;
}

export interface FirstPage {
  files: SizedFile[];
  raw: number;
  gzip: number;
}

/** URL paths the first page loads: index.html, what it names, and the JS import graph. */
export function firstPageUrls(distDir: string): string[] {
  const html = fs.readFileSync(path.join(distDir, "index.html"), "utf8");
  const seen = new Set<string>(["/"]);
  const queue = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
  while (queue.length > 0) {
    const url = queue.shift() as string;
    if (seen.has(url)) continue;
    seen.add(url);
    if (!url.endsWith(".js")) continue;
    const code = fs.readFileSync(fileOf(distDir, url), "utf8");
    // Static imports only (`import ... from "./x.js"`, `import "./x.js"`): the dashboard has no
    // dynamic ones, and type-only imports are gone from the compiled code.
    for (const m of code.matchAll(/\b(?:from|import)\s*"(\.\/[^"]+)"/g)) {
      queue.push(path.posix.join(path.posix.dirname(url), m[1] as string));
    }
  }
  return [...seen];
}

export function measureFirstPage(distDir: string): FirstPage {
  const files = firstPageUrls(distDir).map((url) => {
    const bytes = fs.readFileSync(fileOf(distDir, url));
    return { url, raw: bytes.length, gzip: gzipSync(bytes, { level: 6 }).length };
  });
  return {
    files,
    raw: files.reduce((n, f) => n + f.raw, 0),
    gzip: files.reduce((n, f) => n + f.gzip, 0),
  };
}

function fileOf(distDir: string, url: string): string {
  return path.join(distDir, url === "/" ? "index.html" : url.slice(1));
}

export const defaultDistDir = (): string =>
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "dist", "dashboard");

export async function run(args: string[]): Promise<void> {
  const dir = args[0] ?? defaultDistDir();
  const page = measureFirstPage(dir);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  for (const f of page.files.sort((a, b) => b.gzip - a.gzip)) {
    process.stdout.write(`${f.url.padEnd(32)} ${kb(f.raw).padStart(10)} ${kb(f.gzip).padStart(10)} gzip\n`);
  }
  process.stdout.write(
    `first page: ${page.files.length} files, ${kb(page.raw)} as served, ${kb(page.gzip)} gzip (budget 150 KiB)\n`,
  );
}
