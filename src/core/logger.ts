import { createRequire } from "node:module";
import { pino } from "pino";
import type pretty from "pino-pretty";

/** pino-pretty (some 10 MB) only for a terminal: a service logs JSON and never loads it. */
const loadPretty = () => createRequire(import.meta.url)("pino-pretty") as typeof pretty;

export type Logger = pino.Logger;
export type LogFormat = "json" | "pretty";

export interface LoggerOptions {
  level: string;
  format: LogFormat;
  /** Exact values that must never reach a log line (passwords, tokens). */
  secrets: readonly string[];
  /** File descriptor: 1 for the long-running process, 2 for CLI commands whose stdout is data. */
  fd?: 1 | 2;
  /** Tests pass a stream to read what was logged. */
  stream?: { write(line: string): unknown };
}

/**
 * Secrets are kept out of logs twice over: known keys are redacted structurally, and every
 * finished line is scrubbed of the secret values themselves, which also catches a password
 * that arrives inside an error message or a connection string.
 */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets.filter((s) => s.length >= 3);
  const scrub = (line: string) => {
    let out = line;
    for (const secret of secrets) out = out.split(secret).join("[redacted]");
    for (const secret of secrets.map(encodeURIComponent)) out = out.split(secret).join("[redacted]");
    return out;
  };
  const fd = options.fd ?? 1;
  const stream =
    options.stream ??
    (options.format === "pretty"
      ? loadPretty()({ destination: fd, colorize: true, sync: true })
      : pino.destination({ fd, sync: fd === 2 }));
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          "password",
          "*.password",
          "adminToken",
          "*.adminToken",
          "smtpPassword",
          "*.smtpPassword",
          "authorization",
          "*.authorization",
          "headers.authorization",
        ],
        censor: "[redacted]",
      },
      hooks: { streamWrite: scrub },
    },
    stream,
  );
}
