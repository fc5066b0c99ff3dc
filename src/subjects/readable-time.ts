const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const two = (n: number) => String(n).padStart(2, "0");

/**
 * "Thursday 12 March 2026, 12:00 UTC" for notices: readable, and unambiguous about its zone.
 * Built by hand because Intl's formatToParts costs ~25 µs a call, which a pass over a hundred
 * thousand portraits notices.
 */
export function readableUtc(at: Date, weekday = true): string {
  const date = `${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()}`;
  const time = `${two(at.getUTCHours())}:${two(at.getUTCMinutes())} UTC`;
  return `${weekday ? `${DAYS[at.getUTCDay()]} ` : ""}${date}, ${time}`;
}
