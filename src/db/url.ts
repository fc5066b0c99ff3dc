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

/**
 * The URL with its password replaced, for logs, status output and error messages. Done on the
 * text, not through the URL parser: the parser reads `user:12/Secr3t@host` as a port and a
 * path, and a password with `#` as a fragment, and would hand such a password back in the clear.
 * Everything from the user's colon to the last `@` is masked (too much, never too little).
 */
export function redactDatabaseUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:).*@/i, "$1***@");
}
