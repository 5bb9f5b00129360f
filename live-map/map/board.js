// The incident board: the first BOARD_LIMIT incidents in board order, kept by each change.
import { levelRank } from '../lib/config.js';
import { el, escapeHtml } from '../lib/dom.js';
import { term } from '../lib/i18n.js';
import { formatTime } from '../lib/time.js';
import { jurisdictionName, levelBadge } from './labels.js';
import { focusFeature } from './popups.js';
import { actionsOf, cachedRows, newerFirst, showRows } from './rows.js';
import { BOARD_LIMIT, COUNT_KEYS, extensions, layers } from './state.js';

export const board = { top: [], stale: true };
const rowCache = new Map();

function incidentOrder(a, b) {
  return (a.status === 'open' ? 0 : 1) - (b.status === 'open' ? 0 : 1)
    || levelRank(b.level) - levelRank(a.level)
    || newerFirst(a.reported_at, b.reported_at);
}

/** Board order (open first, highest level, newest), with the id last so that it is total. */
function boardOrder(a, b) {
  return incidentOrder(a, b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function insertSorted(list, p) {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (boardOrder(list[mid], p) < 0) low = mid + 1;
    else high = mid;
  }
  list.splice(low, 0, p);
}

/**
 * One incident changed (before → after, as properties; either may be missing), before the store
 * does. Every incident off the board comes after the board's last: an incident that now comes
 * before that last one takes its place on the board. Only when one leaves the board while others
 * wait off it is the board looked for again in full (at the next frame).
 */
export function boardChange(before, after) {
  if (board.stale) return;
  const top = board.top;
  const off = layers.incidents.features.size - top.length;  // incidents not on the board, before this change
  const last = top[top.length - 1];
  const at = before ? top.findIndex((p) => p.id === before.id) : -1;
  if (at >= 0) top.splice(at, 1);
  if (after) {
    if (off === 0 && top.length < BOARD_LIMIT) insertSorted(top, after);
    else if (last && boardOrder(after, last) <= 0) {
      insertSorted(top, after);
      if (top.length > BOARD_LIMIT) top.pop();
    } else if (at >= 0) board.stale = true;
  } else if (at >= 0 && off > 0) {
    board.stale = true;
  }
}

function boardRows() {
  if (board.stale) {
    const top = [];
    // Newest first (incidents mostly arrive in the order they were reported, and the board shows
    // the newest first): most then fail the first comparison, with the board's last.
    const all = [...layers.incidents.features.values()];
    for (let i = all.length - 1; i >= 0; i--) {
      const p = all[i].properties;
      if (top.length < BOARD_LIMIT) insertSorted(top, p);
      else if (boardOrder(p, top[BOARD_LIMIT - 1]) < 0) {
        insertSorted(top, p);
        top.pop();
      }
    }
    board.top = top;
    board.stale = false;
  }
  return board.top;
}

export function renderIncidentBoard() {
  document.querySelector('[data-count-panel="incidents"]').textContent = layers.incidents.features.size;
  showRows(el('incident-list'), cachedRows(rowCache, boardRows(), incidentRow), 'empty.incidents');
}

function incidentRow(p) {
  const li = document.createElement('li');
  li.className = 'incident';
  li.dataset.id = p.id;
  li.dataset.colour = p.colour;
  li.dataset.status = p.status;
  const counts = COUNT_KEYS.map((k) => `<div><dt>${term('count', k)}</dt><dd data-count="${k}">${p.counts?.[k] ?? 0}</dd></div>`).join('');
  li.innerHTML = `<span class="level-badge">${levelBadge(p.level)}</span>
    <div class="incident-main"><div class="incident-title">${escapeHtml(p.title)}</div>
    <div class="incident-meta">${term('incidentKind', p.incident_kind)} · ${escapeHtml(jurisdictionName(p.jurisdiction))}
      · ${formatTime(p.reported_at)} · ${term('incidentStatus', p.status)}</div></div>
    <dl class="counts">${counts}</dl>`;
  const actions = actionsOf(extensions.incidentActions, p);
  if (actions) li.append(actions);
  li.addEventListener('click', () => focusFeature('incidents', `incident:${p.id}`));
  return li;
}
