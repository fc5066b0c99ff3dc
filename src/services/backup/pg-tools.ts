import { spawn } from "node:child_process";
import type { Readable } from "node:stream";

/** The PostgreSQL client programs; tests substitute a missing one. */
export interface PgTools {
  pgDump: string;
  pgRestore: string;
}

export const defaultPgTools: PgTools = { pgDump: "pg_dump", pgRestore: "pg_restore" };

/**
 * A connection string for libpq without its password, and the password as PGPASSWORD: a
 * password on a command line is visible to every user of the machine (ps).
 */
export function pgConnection(url: string): { dbname: string; env: Record<string, string> } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = "";
  // libpq decodes %XX but not the `+` that URLSearchParams writes for a space
  // (`options=-c search_path=x`), so the query is rebuilt with %20.
  const query = [...parsed.searchParams]
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join("&");
  parsed.search = query ? `?${query}` : "";
  const env: Record<string, string> = {};
  if (password) env.PGPASSWORD = password;
  return { dbname: parsed.toString(), env };
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a client program to completion. `consume` given: it reads the output (a dump, streamed
 * to a file); otherwise the output is collected (a listing). A missing program is named with
 * what to install.
 */
export async function runTool(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; consume?: (stdout: Readable) => Promise<void>; signal?: AbortSignal },
): Promise<ToolResult> {
  options.signal?.throwIfAborted();
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const onAbort = () => child.kill("SIGTERM");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let stderr = "";
  let stdout = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => {
    // The tail is what explains a failure; a chatty tool must not grow memory.
    stderr = (stderr + text).slice(-16_384);
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") {
        reject(
          new Error(
            `${command} is not installed or not on PATH; PostgreSQL backups need the PostgreSQL client ` +
              "tools (pg_dump and pg_restore) of the server's major version or newer",
          ),
        );
      } else reject(error);
    });
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  try {
    if (options.consume) {
      const streamed = options.consume(child.stdout);
      // A failed write (disk full) must stop the tool rather than leave it blocked on a pipe.
      streamed.catch(() => child.kill("SIGTERM"));
      const [code] = await Promise.all([exited, streamed]);
      return { code, stdout: "", stderr };
    }
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text: string) => {
      stdout += text;
    });
    const code = await exited;
    return { code, stdout, stderr };
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** The last meaningful line of a tool's error output. */
export function toolError(command: string, result: ToolResult): Error {
  const lines = result.stderr.trim().split("\n").filter(Boolean);
  const detail = lines.slice(-3).join("; ") || "no error output";
  return new Error(`${command} failed (exit ${result.code}): ${detail}`);
}
