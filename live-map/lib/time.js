// Times in the county's wall clock (China Standard Time, UTC+8, no daylight saving), whatever time zone
// the viewing machine is set to. Plain arithmetic: Intl formatting is too slow for every delta.

export const COUNTY_UTC_OFFSET_MS = 8 * 3600 * 1000;
const two = (n) => String(n).padStart(2, '0');

export function timeParts(iso) {
  const ms = iso instanceof Date ? iso.getTime() : Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  const d = new Date(ms + COUNTY_UTC_OFFSET_MS);
  return { year: d.getUTCFullYear(), month: two(d.getUTCMonth() + 1), day: two(d.getUTCDate()),
    hour: two(d.getUTCHours()), minute: two(d.getUTCMinutes()), second: two(d.getUTCSeconds()) };
}

/** "11-27 21:03:05" in the county's time. */
export function formatTime(iso) {
  const p = timeParts(iso);
  return p ? `${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}` : '';
}

export function formatClock(iso) {
  const p = timeParts(iso);
  return p ? `${p.hour}:${p.minute}:${p.second}` : '';
}

/** "12-08 14:00" in the county's time (a due time, an answer-by). */
export function formatMinute(iso) {
  const p = timeParts(iso);
  return p ? `${p.month}-${p.day} ${p.hour}:${p.minute}` : '';
}

export function formatDateTime(iso) {
  const p = timeParts(iso);
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : '';
}

/** The value of an <input type="datetime-local"> showing `date` (ms or Date) in the county's time. */
export function countyInputValue(date) {
  const p = timeParts(date instanceof Date ? date : new Date(date));
  return p ? `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}` : '';
}

/** An <input type="datetime-local"> value, read as the county's time: ISO-8601 with +08:00, or null. */
export function fromCountyInput(value) {
  if (!value) return null;
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?$/.exec(value);
  return match ? `${match[1]}T${match[2]}${match[3] ?? ':00'}+08:00` : null;
}

/** "14:32" today in the county, "12-06 14:32" on another day. */
export function shortTime(iso, now = Date.now()) {
  const p = timeParts(iso);
  const today = timeParts(new Date(now));
  if (!p || !today) return '';
  const clock = `${p.hour}:${p.minute}`;
  return p.year === today.year && p.month === today.month && p.day === today.day ? clock : `${p.month}-${p.day} ${clock}`;
}
