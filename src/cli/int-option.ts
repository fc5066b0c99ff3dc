import { UserError } from "../core/errors.js";

/**
 * The one reader of numeric options, given to commander as the option's parser so that a bad
 * value stops the command before anything is opened. Every option has a range: unchecked,
 * `--limit 99999999999999999999` reached the database as 1e20 and came back as a stack trace.
 */
export function intOption(option: string, min: number, max: number): (value: string) => number {
  return (value) => parseIntOption(value, option, min, max);
}

export function parseIntOption(value: string, option: string, min: number, max: number): number {
  const text = value.trim();
  const n = Number(text);
  // Digits only (no 1e3, 0x10, 1.5), and compared as a number only once it has few enough digits to be exact.
  if (!/^-?\d{1,15}$/.test(text) || n < min || n > max) {
    throw new UserError(`${option} "${value}" is not an integer from ${min} to ${max}`);
  }
  return n;
}
