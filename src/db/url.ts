import path from "node:path";
import { fileURLToPath } from "node:url";

export type DatabaseTarget = { dialect: "sqlite"; file: string } | { dialect: "pg"; url: string };

/** DATABASE_URL: postgres:// or postgresql:// selects PostgreSQL; a path or file: URL, SQLite. */
export function parseDatabaseUrl(value: string, cwd: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//i.test(value)) return { dialect: "pg", url: value };
  if (value.startsWith("file:")) {
    const file = value.startsWith("file://") ? fileURLToPath(value) : value.slice("file:".length);
    return { dialect: "sqlite", file: path.resolve(cwd, file) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new Error("unsupported scheme");
  }
  return { dialect: "sqlite", file: path.resolve(cwd, value) };
}

/** The URL with its password replaced, for logs, status output and error messages. */
export function redactDatabaseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    // Not a URL the parser takes (a mistyped scheme, a `/` or `#` in the password): mask
    // everything between the user's colon and the last `@`, whatever it holds.
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:).*@/i, "$1***@");
  }
}
