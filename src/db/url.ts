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

const PG_FORM = "postgres://USER:PASSWORD@HOST:PORT/DATABASE";

/**
 * Why a postgres:// URL cannot be used (null when it can): checked at validation, so that
 * `config check` and `start` refuse it in one line instead of pg throwing at the first query.
 * A user and a database must be named: pg would otherwise take them from the OS user, which
 * differs between the shell that tested the URL and the service that runs it.
 */
export function postgresUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return unparsableReason(value);
  }
  if (url.hash !== "") return `is not a URL pg can use: "#" starts a fragment (percent-encode it as %23 in a password)`;
  if (url.port === "0") return "has port 0 (a port is 1-65535)";
  if (url.username === "" && !url.searchParams.get("user")) {
    return `names no user (${PG_FORM}; percent-encode / ? # @ in a password)`;
  }
  const database = url.pathname.replace(/^\//, "");
  if (database === "") return `names no database (${PG_FORM})`;
  return null;
}

function unparsableReason(value: string): string {
  // The host part as the URL parser would find it: after the last "@" of the authority.
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(value)?.[1] ?? "";
  const hostPort = authority.slice(authority.lastIndexOf("@") + 1);
  const port = /^(?:\[[^\]]*\]|[^:]*):(.*)$/.exec(hostPort)?.[1];
  // The port's text is not repeated: with an unencoded "/" in a password, it is part of the password.
  const hint = "or a password holding / ? # @ that is not percent-encoded";
  if (port !== undefined && port !== "" && !/^\d+$/.test(port)) return `has a port that is not a number (${hint})`;
  if (port !== undefined && Number(port) > 65535) return `has a port out of range, 1-65535 (${hint})`;
  return `is not a URL (${PG_FORM}; percent-encode / ? # @ in a password)`;
}
