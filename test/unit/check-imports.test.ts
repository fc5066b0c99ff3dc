import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/core/project.js";
import { tempDir } from "../helpers/db.js";

const script = path.join(projectRoot(), "scripts", "check-imports.mjs");

/** Runs the check over a tree of files given as path -> source. */
function check(tree: Record<string, string> | null): { code: number | null; out: string } {
  const args = [script];
  if (tree) {
    const dir = tempDir("check-imports-");
    for (const [file, text] of Object.entries(tree)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    args.push("--src", dir);
  }
  const run = spawnSync(process.execPath, args, { encoding: "utf8" });
  return { code: run.status, out: run.stdout + run.stderr };
}

/** A small tree of the right shape; each case below adds one fault to it. */
const base: Record<string, string> = {
  "core/clock.ts": 'import { toError } from "./errors.js";\n',
  "core/errors.ts": "export const toError = 1;\n",
  "db/sql.ts": 'import type { Clock } from "../core/clock.js";\n',
  "services/mail/index.ts": 'export { send } from "./send.js";\n',
  "services/mail/send.ts": 'import { toError } from "../../core/errors.js";\n',
  "services/notes/index.ts": 'export { note } from "./note.js";\n',
  "services/notes/note.ts": 'import { send } from "../mail/index.js";\n',
  "cli/program.ts": 'import { note } from "../services/notes/index.js";\n',
};

describe("the import-graph check", () => {
  it("passes Steward's own tree", () => {
    const { code, out } = check(null);
    expect(out).toMatch(/no cycles, core imports only core/);
    expect(code).toBe(0);
  });

  it("passes a tree of the right shape", () => {
    expect(check(base).code).toBe(0);
  });

  it.each([
    [
      "a cycle",
      { "db/a.ts": 'import { b } from "./b.js";\n', "db/b.ts": 'import type { a } from "./a.js";\n' },
      "import cycle: db/a.ts <-> db/b.ts",
    ],
    [
      "core importing upward",
      { "core/clock.ts": 'import type { Sql } from "../db/sql.js";\n' },
      "core/clock.ts: core imports db/sql.ts",
    ],
    [
      "the CLI reaching past a service's index.ts",
      { "cli/program.ts": 'import { send } from "../services/mail/send.js";\n' },
      "cli/program.ts: imports services/mail/send.ts; the CLI reaches services/mail/ only through its index.ts",
    ],
    [
      "a service reaching another's internals",
      { "services/notes/note.ts": 'export { send } from "../mail/send.js";\n' },
      "services/notes/note.ts: imports services/mail/send.ts; another service reaches services/mail/ only through",
    ],
  ])("fails on %s, naming it", (_name, fault, message) => {
    const { code, out } = check({ ...base, ...fault });
    expect(out).toContain(message);
    expect(code).toBe(1);
  });
});
