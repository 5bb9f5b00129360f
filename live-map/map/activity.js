// The activity stream: who did what, newest first.
import { el, escapeHtml } from '../lib/dom.js';
import { getLanguage, term } from '../lib/i18n.js';
import { formatClock, formatTime, timeParts } from '../lib/time.js';
import { withPlaceNames } from './places.js';
import { emptyRow } from './rows.js';
import { ACTIVITY_LIMIT, state } from './state.js';

// The activity stream is truly incremental: a new entry goes on top, the oldest falls off.
export function resetActivity(entries) {
  state.activityNewest = 0;
  el('activity-list').replaceChildren();
  for (const entry of [...entries].reverse()) prependActivity(entry);
  if (!entries.length) el('activity-list').replaceChildren(emptyRow('empty.activity'));
}

export function prependActivity(entry) {
  if (entry.position <= state.activityNewest) return;  // a resent delta
  state.activityNewest = entry.position;
  const list = el('activity-list');
  list.querySelector('.empty')?.remove();
  list.prepend(activityRow(entry));
  while (list.children.length > ACTIVITY_LIMIT) list.lastElementChild.remove();
}

function activityRow(entry) {
  const li = document.createElement('li');
  li.className = 'activity';
  li.dataset.position = entry.position;
  fillActivityRow(li, entry);
  return li;
}

export function fillActivityRow(li, entry) {
  const english = getLanguage() === 'en';
  // The time of day; with the date too when the entry is of another day than the page's latest news.
  const when = sameDay(entry.recorded_at, state.at ?? Date.now()) ? formatClock(entry.recorded_at) : formatTime(entry.recorded_at);
  li.innerHTML = `<time datetime="${escapeHtml(entry.recorded_at)}">${when}</time>
    <span class="actor">${escapeHtml(entry.actor_name ?? '')}<small>${term('role', entry.role)}</small></span>
    <span class="what">${escapeHtml(withPlaceNames(english ? entry.summary_en : entry.summary_zh))}</span>
    ${entry.reason ? `<em class="why">${escapeHtml(entry.reason)}</em>` : ''}`;
  li.entry = entry;
}

function sameDay(a, b) {
  const x = timeParts(a);
  const y = timeParts(b instanceof Date || typeof b === 'number' ? new Date(b) : b);
  return Boolean(x && y) && x.year === y.year && x.month === y.month && x.day === y.day;
}
