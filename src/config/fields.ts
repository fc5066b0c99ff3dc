/**
 * Builders for environment variables. Each knows its default (as text, the way it appears in
 * config/.env.example), a one-line meaning, and how to read a value; a bad value throws a
 * Problem whose text completes the sentence `NAME: "value" ...`.
 */

export class Problem extends Error {}

export interface Var<T> {
  /** Default as written in .env.example; undefined when the variable is unset by default. */
  readonly default: string | undefined;
  /** Shown instead of `default` when the default is derived from other variables. */
  readonly defaultNote?: string;
  readonly describe: string;
  readonly secret: boolean;
  read(raw: string | undefined): T;
}

type Opts = {
  secret?: boolean;
  defaultNote?: string;
  /** A shape the value must have, and the accepted form to name when it does not. */
  pattern?: { re: RegExp; form: string };
};

function make<T>(
  def: string | undefined,
  describe: string,
  parse: (raw: string) => T,
  missing: () => T,
  opts: Opts = {},
): Var<T> {
  return {
    default: def,
    defaultNote: opts.defaultNote,
    describe,
    secret: opts.secret ?? false,
    read(raw) {
      const text = raw === undefined || raw.trim() === "" ? def : raw.trim();
      if (text === undefined) return missing();
      if (opts.pattern && !opts.pattern.re.test(text)) throw new Problem(`is not ${opts.pattern.form}`);
      return parse(text);
    },
  };
}

const none = () => undefined;

function intParser(min: number, max: number, what: string) {
  return (raw: string): number => {
    if (!/^-?\d+$/.test(raw)) throw new Problem(`is not ${what} (${range(min, max)})`);
    const n = Number(raw);
    if (n < min || n > max) throw new Problem(`is out of range for ${what} (${range(min, max)})`);
    return n;
  };
}

function range(min: number, max: number): string {
  if (max === Number.MAX_SAFE_INTEGER) return `an integer >= ${min}`;
  return `${min}-${max}`;
}

const UNIT_SECONDS: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** `90`, `90s`, `2m`, `1.5h`, `2d` as seconds; null for anything else. */
function durationSeconds(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/i.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * (UNIT_SECONDS[(match[2] as string).toLowerCase()] as number);
}

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

export const v = {
  string(def: string | undefined, describe: string, opts?: Opts): Var<string> {
    return make(
      def,
      describe,
      (raw) => raw,
      () => "",
      opts,
    );
  },
  optionalString(describe: string, opts?: Opts): Var<string | undefined> {
    return make<string | undefined>(undefined, describe, (raw) => raw, none, opts);
  },
  int(def: number, describe: string, min = 0, max = Number.MAX_SAFE_INTEGER): Var<number> {
    const parse = intParser(min, max, "an integer");
    return make(String(def), describe, parse, () => def);
  },
  /** `allowZero`: 0 asks the OS for any free port (tests, several processes on one host). */
  port(def: number, describe: string, allowZero = false): Var<number> {
    const parse = intParser(1, 65535, "a port number");
    return make(
      String(def),
      describe,
      (raw) => (allowZero && raw === "0" ? 0 : parse(raw)),
      () => def,
    );
  },
  number(def: number, describe: string, min: number, max: number): Var<number> {
    return make(
      String(def),
      describe,
      (raw) => {
        const n = Number(raw);
        if (!/^-?\d*\.?\d+$/.test(raw) || !Number.isFinite(n) || n < min || n > max) {
          throw new Problem(`is not a number from ${min} to ${max}`);
        }
        return n;
      },
      () => def,
    );
  },
  bool(def: boolean, describe: string): Var<boolean> {
    return make(
      String(def),
      describe,
      (raw) => {
        const lower = raw.toLowerCase();
        if (TRUE.has(lower)) return true;
        if (FALSE.has(lower)) return false;
        throw new Problem("is not a boolean (true or false)");
      },
      () => def,
    );
  },
  oneOf<T extends string>(def: T | undefined, values: readonly T[], describe: string, opts?: Opts): Var<T | undefined> {
    return make<T | undefined>(
      def,
      describe,
      (raw) => {
        const lower = raw.toLowerCase() as T;
        if (!values.includes(lower)) throw new Problem(`is not one of: ${values.join(", ")}`);
        return lower;
      },
      () => def,
      opts,
    );
  },
  url(describe: string, protocols: readonly string[], opts?: Opts): Var<string | undefined> {
    return make<string | undefined>(
      undefined,
      describe,
      (raw) => {
        let url: URL;
        try {
          url = new URL(raw);
        } catch {
          throw new Problem(`is not a URL (${protocols.join(" or ")})`);
        }
        if (!protocols.includes(url.protocol.replace(":", ""))) {
          throw new Problem(`is not a URL (${protocols.join(" or ")})`);
        }
        return raw;
      },
      none,
      opts,
    );
  },
  /**
   * Comma-separated durations, each >= 0, at least one: plain seconds (`1,2,4`) or with a unit
   * (`30s,2m,1h,1d`). Read as seconds.
   */
  secondsList(def: string, describe: string): Var<number[]> {
    const parse = (raw: string) => {
      const parts = raw.split(",").map(durationSeconds);
      if (parts.some((p) => p === null)) {
        throw new Problem("is not a comma-separated list of durations (seconds, or with s, m, h or d: 30s,2m,1h)");
      }
      return parts as number[];
    };
    return make(def, describe, parse, () => parse(def));
  },
  /** One duration >= 0: plain seconds (`3600`) or with a unit (`30s`, `90m`, `36h`, `2d`). Read as seconds. */
  duration(def: string, describe: string): Var<number> {
    const parse = (raw: string) => {
      const seconds = durationSeconds(raw);
      if (seconds === null) throw new Problem("is not a duration (seconds, or with s, m, h or d: 90s, 36h, 2d)");
      return seconds;
    };
    return make(def, describe, parse, () => parse(def));
  },
  /** A value read by `parse`, which throws a Problem when it is bad. */
  custom<T>(def: string | undefined, describe: string, parse: (raw: string) => T, opts?: Opts): Var<T | undefined> {
    return make<T | undefined>(def, describe, parse, none, opts);
  },
};

export type VarTable = Record<string, Var<unknown>>;
export type Values<T extends VarTable> = { [K in keyof T]: T[K] extends Var<infer V> ? V : never };

/** Where relative paths in settings are read from. */
export interface Dirs {
  cwd: string;
  dataDir: string;
}

/**
 * A service's settings: its variables (a block of .env.example and of the table in
 * docs/configuration.md) and how their values become its part of the Config, `config[key]`. A
 * new service writes one section in its own file here and lists it in catalog.ts; load.ts reads
 * every section it finds there.
 */
export interface ConfigSection<K extends string = string, T = unknown> {
  readonly key: K;
  readonly title: string;
  readonly vars: VarTable;
  /** May throw a VarProblem naming the variable at fault. */
  resolve(values: Record<string, unknown>, dirs: Dirs): T;
}

export function configSection<K extends string, V extends VarTable, T>(
  key: K,
  title: string,
  vars: V,
  resolve: (values: Values<V>, dirs: Dirs) => T,
): ConfigSection<K, T> {
  return { key, title, vars, resolve: (values, dirs) => resolve(values as Values<V>, dirs) };
}
