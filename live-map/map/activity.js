// The activity stream: who did what, newest first.
import { el, escapeHtml } from '../lib/dom.js';
import { getLanguage, term } from '../lib/i18n.js';
import { formatClock } from '../lib/time.js';
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
  li.innerHTML = `<time>${formatClock(entry.recorded_at)}</time>
    <span class="actor">${escapeHtml(entry.actor_name ?? '')}<small>${term('role', entry.role)}</small></span>
    <span class="what">${escapeHtml(english ? entry.summary_en : entry.summary_zh)}</span>
    ${entry.reason ? `<em class="why">${escapeHtml(entry.reason)}</em>` : ''}`;
  li.entry = entry;
}
