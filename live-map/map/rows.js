// Rows of the side panels, built once and reused while their content is the same.
import { getLanguage, t } from '../lib/i18n.js';
import { extensions } from './state.js';

/** Rows for `items`, reusing the cached row of any item whose content has not changed. */
export function cachedRows(cache, items, build) {
  const lang = `${getLanguage()}|${extensions.rowsKey}`;  // (the console's actions change a row too)
  const fresh = new Map();
  const rows = items.map((item) => {
    const key = `${lang}|${JSON.stringify(item)}`;
    const cached = cache.get(item.id);
    const li = cached && cached.key === key ? cached.li : build(item);
    fresh.set(item.id, { key, li });
    return li;
  });
  cache.clear();
  for (const [id, entry] of fresh) cache.set(id, entry);
  return rows;
}

export function showRows(list, rows, emptyKey) {
  if (!rows.length) {
    list.replaceChildren(emptyRow(emptyKey));
    return;
  }
  const current = list.children;
  if (current.length === rows.length && rows.every((row, i) => current[i] === row)) return;
  list.replaceChildren(...rows);
}

export function emptyRow(key) {
  const li = document.createElement('li');
  li.className = 'empty';
  li.textContent = t(key);
  return li;
}

/** The action buttons other parts of the page give for an item (the console's, for roles that may). */
export function actionsOf(makers, item) {
  const buttons = makers.flatMap((make) => make(item) ?? []);
  if (!buttons.length) return null;
  const bar = document.createElement('div');
  bar.className = 'row-actions';
  bar.append(...buttons);
  // A button acts; the row's own click (focus on the map) is not also wanted.
  bar.addEventListener('click', (event) => event.stopPropagation());
  return bar;
}

export const newerFirst = (a, b) => (a < b ? 1 : a > b ? -1 : 0);  // ISO times in one offset sort as text
