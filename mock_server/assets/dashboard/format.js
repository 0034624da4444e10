// Times on the mock's clock, which may be virtual (it starts at 2026-01-01T00:00:00Z): always shown in UTC,
// since the mock's time has nothing to do with the reader's time zone.

function pad(number, width = 2) {
  return String(number).padStart(width, "0");
}

/** "00:00:05.250" */
export function clockTime(ms) {
  const at = new Date(ms);
  return `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}.${pad(at.getUTCMilliseconds(), 3)}`;
}

/** "2026-01-01 00:00:05.250 UTC" */
export function clockDateTime(ms) {
  const at = new Date(ms);
  return `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())} ${clockTime(ms)} UTC`;
}

/** The time of day, with its date when that is not the day of `nowMs`. */
export function timeNear(ms, nowMs) {
  const sameDay = new Date(ms).toISOString().slice(0, 10) === new Date(nowMs).toISOString().slice(0, 10);
  return sameDay ? clockTime(ms) : clockDateTime(ms);
}

/** "250 ms", "4 s", "2.5 s", "3 min 20 s", "2 h 5 min" */
export function duration(ms) {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${Number((ms / 1000).toFixed(abs < 10_000 ? 2 : 1))} s`;
  const minutes = Math.floor(abs / 60_000);
  if (minutes < 60) {
    const seconds = Math.round((abs % 60_000) / 1000);
    return `${minutes} min${seconds ? ` ${seconds} s` : ""}`;
  }
  const hours = Math.floor(minutes / 60);
  return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
}
