import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/db.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { baseEnv, projectRoot, StewardProcess, stewardBin } from "../helpers/steward-process.js";

/**
 * The docs check: every line of every ```sh block in the README and docs/ is run here, against
 * one real `steward start` on a fresh data directory, or is in ALLOW_LIST with the reason it
 * cannot run here and what runs it instead. So a command the docs show cannot drift from the
 * command Steward has, and a new one cannot be added without being run or accounted for.
 *
 * Conventions for a sh block (docs/architecture.md, "Working on Steward"): one command per line,
 * no placeholders; a trailing comment that starts with what to expect names it: `# exit 1 ...` an
 * exit code (default 0), and for curl `# 404 ...` an HTTP status (default any 2xx). Lines run in
 * document order, README first, so later ones see what earlier ones did; a repeated line runs
 * once. It needs `sh` and `curl`, as the docs do. docs-links.test.ts checks the docs' links.
 */

interface DocCommand {
  /** Where it is, as `file:line`. */
  where: string;
  command: string;
  comment: string;
}

interface Pin {
  /** A file, relative to the project, that must contain `contains` for the reason to hold. */
  file: string;
  contains: string;
}

interface Allowed {
  command: string;
  reason: string;
  pins: Pin[];
}

const ALLOW_LIST: Allowed[] = [
  {
    command: "npm ci && npm start",
    reason:
      ".ci/run runs `npm ci` on a clean clone; `npm start` is `node bin/steward.js start`, the process this test starts",
    pins: [
      { file: ".ci/run", contains: "\nnpm ci\n" },
      { file: "package.json", contains: '"start": "node bin/steward.js start"' },
    ],
  },
  {
    command: "npm test",
    reason: ".ci/run runs it, with TEST_DATABASE_URL set",
    pins: [{ file: ".ci/run", contains: "\nnpm test" }],
  },
  ...["app-1 STATUS_PORT=8787", "app-2 STATUS_PORT=8788"].map((tail) => ({
    command: `DATABASE_URL=postgres://steward:secret@db.internal/steward INSTANCE_ID=${tail} npm start`,
    reason:
      "needs a PostgreSQL server on another host; test/e2e/pg-cluster.test.ts starts several processes, each with its INSTANCE_ID, on one PostgreSQL database",
    pins: [{ file: "test/e2e/pg-cluster.test.ts", contains: "INSTANCE_ID: id" }],
  })),
  ...[
    "docker build -t steward .",
    "docker run -d --name steward -e ADMIN_TOKEN=$(openssl rand -hex 16) -v steward-data:/data -p 8787:8787 steward",
    "docker exec steward steward status",
  ].map((command) => ({
    command,
    reason:
      "needs a Docker daemon and a few minutes of image build, which CI does not have; the image's `steward` is bin/steward.js, whose commands this test runs",
    pins: [
      { file: "Dockerfile", contains: "ln -s /app/bin/steward.js /usr/local/bin/steward" },
      { file: "Dockerfile", contains: 'ENTRYPOINT ["steward"]' },
    ],
  })),
  ...["email", "backup", "pickup", "idle"].map((name) => ({
    command: `npm run bench -- ${name}`,
    reason: "a benchmark: minutes of load whose figures are read by a person, not asserted",
    pins: [{ file: `bench/${name}.ts`, contains: "" }],
  })),
  ...["npm run bench -- queue", "npm run bench -- queue --quick"].map((command) => ({
    command,
    reason:
      "a benchmark: minutes of load (and a rebuild of dist/ under the running steward); test/e2e/bench-queue.test.ts runs the --quick form and checks every row",
    pins: [{ file: "test/e2e/bench-queue.test.ts", contains: '"queue", "--quick"' }],
  })),
  {
    command:
      "STEWARD_DIR=$PWD ONLY=bullmq,sqlite,steward,steward-nowake,steward-pg bash ../shared/peerbench/run-all.sh",
    reason:
      "the peer harness lives outside the repository, needs redis-server and runs for half an hour; test/integration/peer-adapter.test.ts drives the adapter it loads",
    pins: [{ file: "test/integration/peer-adapter.test.ts", contains: "dist/bench/peer-adapter.js" }],
  },
];

/** Info strings of the fenced blocks that hold commands. */
const SHELL_BLOCKS = new Set(["sh", "bash", "shell", "console"]);

/** README.md, then docs/*.md in name order: the order a reader meets them and the commands run. */
function docFiles(root: string): string[] {
  const docs = fs
    .readdirSync(path.join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => path.join("docs", name));
  return ["README.md", ...docs];
}

/** The text before a ` #` that is outside quotes, and the comment after it. */
function splitComment(line: string): { command: string; comment: string } {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && /\s/.test(line[i - 1] ?? "")) {
      return { command: line.slice(0, i).trim(), comment: line.slice(i + 1).trim() };
    }
  }
  return { command: line.trim(), comment: "" };
}

/** Every command line of the shell blocks of one markdown text; `\` continues a line. */
function extractCommands(file: string, text: string): DocCommand[] {
  const out: DocCommand[] = [];
  let fence: string | null = null;
  let pending: { start: number; text: string } | null = null;
  text.split("\n").forEach((raw, index) => {
    const open = /^\s*```\s*(\S*)/.exec(raw);
    if (open) {
      fence = fence === null ? (open[1] ?? "") : null;
      return;
    }
    if (fence === null || !SHELL_BLOCKS.has(fence)) return;
    const line = pending ? `${pending.text} ${raw.trim()}` : raw.trim();
    const start = pending?.start ?? index + 1;
    pending = null;
    if (line === "" || line.startsWith("#")) return;
    if (line.endsWith("\\")) {
      pending = { start, text: line.slice(0, -1).trim() };
      return;
    }
    out.push({ where: `${file}:${start}`, ...splitComment(line) });
  });
  return out;
}

type Kind = "cli" | "curl" | "script" | "start";

/** How a command is run here, or null: neither runnable nor allow-listed, which fails the check. */
function kindOf(command: string): Kind | null {
  if (/^([A-Z_]+=\S+ )*npx steward start$/.test(command)) return "start";
  if (command.startsWith("npx steward ")) return "cli";
  if (command.startsWith("curl ")) return "curl";
  if (/^node scripts\/\S+\.mjs( |$)/.test(command)) return "script";
  return null;
}

function expectedExit(comment: string): number {
  return Number(/^exit (\d+)\b/.exec(comment)?.[1] ?? 0);
}

/** The HTTP status a curl line's comment starts with, or null for "any 2xx". */
function expectedStatus(comment: string): number | null {
  const status = /^([1-5]\d\d)\b/.exec(comment)?.[1];
  return status ? Number(status) : null;
}

/** The command as it runs here: this checkout's steward and scripts, the test's port. */
function rewrite(command: string, port: number): string {
  const node = JSON.stringify(process.execPath);
  return command
    .replace(/^npx steward /, `${node} ${JSON.stringify(stewardBin)} `)
    .replace(
      /^node scripts\/(\S+)/,
      (_, script: string) => `${node} ${JSON.stringify(path.join(projectRoot, "scripts", script))}`,
    )
    .replace(/^curl /, `curl -sS -w '\\n%{http_code}' `)
    .replace(/\b(127\.0\.0\.1|localhost):8787\b/g, `127.0.0.1:${port}`);
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runShell(line: string, options: { env: Record<string, string>; cwd: string }): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", line], { env: options.env, cwd: options.cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** What is wrong with one command's run, or null. */
function verdict(doc: DocCommand, kind: Kind, outcome: Outcome): string | null {
  const wanted = expectedExit(doc.comment);
  const said = `\n  stdout: ${outcome.stdout.slice(-600)}\n  stderr: ${outcome.stderr.slice(-600)}`;
  if (outcome.code !== wanted)
    return `${doc.where}: \`${doc.command}\` exited ${outcome.code}, expected ${wanted}${said}`;
  if (kind !== "curl") return null;
  const status = Number(outcome.stdout.trimEnd().split("\n").pop());
  const expected = expectedStatus(doc.comment);
  const ok = expected === null ? status >= 200 && status < 300 : status === expected;
  return ok ? null : `${doc.where}: \`${doc.command}\` answered ${status}, expected ${expected ?? "2xx"}${said}`;
}

/** A `[VAR=value ...] npx steward start` line: it must start, say so, and stop cleanly on SIGTERM. */
async function runStart(doc: DocCommand, env: Record<string, string>, cwd: string): Promise<string | null> {
  const assignments = Object.fromEntries(
    doc.command
      .split(" ")
      .filter((word) => /^[A-Z_]+=/.test(word))
      .map((word) => [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)]),
  );
  // Its own free port: the process started in beforeAll holds the test's.
  const steward = new StewardProcess({ env: { ...env, ...assignments, STATUS_PORT: "0" }, cwd });
  try {
    await steward.ready();
  } catch (error) {
    steward.kill("SIGKILL");
    return `${doc.where}: \`${doc.command}\` did not start: ${(error as Error).message}`;
  }
  const exit = await steward.stop();
  return exit.code === 0 ? null : `${doc.where}: \`${doc.command}\` stopped with ${exit.code ?? exit.signal}`;
}

const allDocs = (): DocCommand[] =>
  docFiles(projectRoot).flatMap((file) => extractCommands(file, fs.readFileSync(path.join(projectRoot, file), "utf8")));

describe("docs commands: how lines are read", () => {
  it("reads sh blocks only, strips comments outside quotes, joins continued lines", () => {
    const text = [
      "```sh",
      "npx steward status      # a table; exit 1 if one failed",
      "npx steward demo        # exit 1 on a database that has any",
      "# a comment line",
      'curl -d \'{"a": "#1"}\' 127.0.0.1:8787/x   # 404 no such',
      "npx steward email send --to a@example.com \\",
      "  --subject hi --text hello",
      "```",
      "```ts",
      "npx steward not-a-shell-block",
      "```",
    ].join("\n");
    const commands = extractCommands("x.md", text);
    expect(commands).toEqual([
      { where: "x.md:2", command: "npx steward status", comment: "a table; exit 1 if one failed" },
      { where: "x.md:3", command: "npx steward demo", comment: "exit 1 on a database that has any" },
      { where: "x.md:5", command: 'curl -d \'{"a": "#1"}\' 127.0.0.1:8787/x', comment: "404 no such" },
      { where: "x.md:6", command: "npx steward email send --to a@example.com --subject hi --text hello", comment: "" },
    ]);
    expect(commands.map((c) => expectedExit(c.comment))).toEqual([0, 1, 0, 0]);
    expect(expectedStatus("404 no such")).toBe(404);
    expect(expectedStatus("the record, 200 fields")).toBeNull();
  });

  it("runs steward, curl and scripts; anything else must be allow-listed", () => {
    expect(kindOf("npx steward backup list")).toBe("cli");
    expect(kindOf("VIDEO_SCHEDULER_CHECK_INTERVAL=10 npx steward start")).toBe("start");
    expect(kindOf("curl 127.0.0.1:8787/")).toBe("curl");
    expect(kindOf("node scripts/backup-now.mjs database")).toBe("script");
    for (const other of ["docker compose up", "npm run build", "psql -c 'select 1'", "steward status"]) {
      expect(kindOf(other)).toBeNull();
    }
    expect(rewrite("curl 127.0.0.1:8787/status", 4321)).toContain("127.0.0.1:4321/status");
  });
});

describe("docs commands", () => {
  const docs = allDocs();

  it("has a reason, still true, for each command it does not run, and no stale entry", () => {
    const shown = new Set(docs.map((d) => d.command));
    const unaccounted = docs
      .filter((d) => kindOf(d.command) === null && !ALLOW_LIST.some((a) => a.command === d.command))
      .map((d) => `${d.where}: \`${d.command}\` is neither run by this test nor in its ALLOW_LIST`);
    const stale = ALLOW_LIST.filter((a) => !shown.has(a.command)).map((a) => `no longer in the docs: ${a.command}`);
    const broken = ALLOW_LIST.flatMap((a) =>
      a.pins
        .filter((pin) => !readIfExists(pin.file)?.includes(pin.contains))
        .map((pin) => `${a.command}: ${pin.file} no longer holds ${JSON.stringify(pin.contains)}`),
    );
    expect([...unaccounted, ...stale, ...broken]).toEqual([]);
    // `npx steward` is rewritten to bin/steward.js: that must be what the package's bin is.
    const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin.steward).toBe("bin/steward.js");
  });

  describe("run against a real steward", () => {
    let work: string;
    let sink: SmtpSink;
    let server: StewardProcess;
    let env: Record<string, string>;

    beforeAll(async () => {
      work = tempDir("steward-docs-");
      sink = await SmtpSink.start();
      // A real SMTP server, so the commands that talk to one (verify-smtp, drain) run as documented.
      const smtp = {
        SMTP_HOST: "127.0.0.1",
        SMTP_PORT: String(sink.port),
        EMAIL_FROM: "Steward <steward@example.com>",
      };
      server = new StewardProcess({ env: baseEnv(smtp), cwd: work });
      const port = await server.ready();
      env = baseEnv({ ...smtp, STATUS_PORT: String(port) });
    });

    afterAll(async () => {
      await server?.stop();
      await sink?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("runs every runnable command with the exit code and HTTP status the docs give", async () => {
      const runnable = docs.filter((d) => kindOf(d.command) !== null);
      expect(runnable.length).toBeGreaterThan(30);
      const done = new Set<string>();
      const failures: string[] = [];
      for (const doc of runnable) {
        const kind = kindOf(doc.command) as Kind;
        const key = `${doc.command}\n${expectedExit(doc.comment)}\n${expectedStatus(doc.comment)}`;
        if (done.has(key)) continue;
        done.add(key);
        const port = Number(env.STATUS_PORT);
        const failure =
          kind === "start"
            ? await runStart(doc, env, work)
            : verdict(doc, kind, await runShell(rewrite(doc.command, port), { env, cwd: work }));
        if (failure) failures.push(failure);
      }
      expect(failures).toEqual([]);
      // The mail the docs send went through SMTP, not around it.
      expect(sink.messages.length).toBeGreaterThan(0);
    }, 300_000);
  });
});

function readIfExists(file: string): string | undefined {
  const full = path.join(projectRoot, file);
  return fs.existsSync(full) ? fs.readFileSync(full, "utf8") : undefined;
}
