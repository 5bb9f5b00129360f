// The phone page's parts: the report forms (报告事件, 续报 with steppers), the incidents, the outbox.
import { el, h } from '/live-map/lib/dom.js';
import { t, term } from '/live-map/lib/i18n.js';
import { order } from '/live-map/lib/config.js';
import { formatDateTime, shortTime } from '/live-map/lib/time.js';
import { correct, discard, enqueue, REFUSED } from './outbox.js';
import { createWhere, insideHome } from './pick.js';
import { personalDataIn } from './privacy.js';

// The counts a report carries, in the server's order and words (GET /api/v1/config: the group `count`).
const counts = () => order('count');

// Where the phone is (the GPS) and the team's jurisdiction, as main.js knows them.
const place = { position: () => null, home: () => null };

export function knowPlace({ position, home }) {
  Object.assign(place, { position, home });
}

function stepper(name, value = 0) {
  const input = h('input', { type: 'number', min: '0', inputMode: 'numeric', value: String(value), name, id: `count-${name}` });
  const step = (by) => { input.value = String(Math.max(0, (Number(input.value) || 0) + by)); };
  return h('div', { className: 'stepper' },
    h('label', { htmlFor: input.id }, term('count', name)),
    h('button', { type: 'button', 'aria-label': `${term('count', name)} −1`, onclick: () => step(-1) }, '−'),
    input,
    h('button', { type: 'button', 'aria-label': `${term('count', name)} +1`, onclick: () => step(1) }, '+'));
}

function countsOf(form) {
  return Object.fromEntries(counts().map((c) => [c, Math.max(0, Number(form.elements[c].value) || 0)]));
}

function field(label, input) {
  return h('label', { className: 'field' }, h('span', {}, label), input);
}

/** The form for a new incident (报告事件) or a follow-up (续报) on `incident`; `draft` refills a correction. */
export function openForm({ incident = null, draft = null, correcting = null } = {}) {
  const { position, home } = place;
  const error = h('p', { className: 'form-error', role: 'alert' });
  const form = h('form', { className: 'sheet', 'aria-label': incident ? t('followup') : t('report') });
  const body = draft ?? {};
  const parts = [h('h2', {}, incident ? `${t('followup')} · ${incident.title}` : t('report'))];
  if (!incident) {
    const kind = h('select', { name: 'kind' }, order('incidentKind').map((k) => h('option', { value: k, selected: body.kind === k }, term('incidentKind', k))));
    parts.push(field(t('kind'), kind), field(t('title.field'), h('input', { name: 'title', value: body.title ?? '', maxLength: 200 })));
  }
  const where = incident ? null : createWhere({ position: () => body.location ?? position(), home });
  if (where) parts.push(where.element);
  const given = body.new ?? body.counts ?? {};
  parts.push(...counts().map((c) => stepper(c, given[c] ?? 0)));
  parts.push(field(t('note'), h('textarea', { name: 'note', rows: 2, maxLength: 2000 }, body.note ?? '')));
  parts.push(error, h('div', { className: 'actions' },
    h('button', { type: 'button', className: 'secondary', onclick: () => close() }, t('cancel')),
    h('button', { type: 'submit', className: 'primary' }, t('submit'))));
  form.append(...parts);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const note = form.elements.note.value.trim();
    const personal = personalDataIn(note);
    if (personal) {
      error.textContent = t(`privacy.${personal}`);
      form.elements.note.focus();
      return;
    }
    let report;
    if (incident) {
      // The team's own position goes with a follow-up only where the server takes it: inside the jurisdiction.
      const here = position();
      const at = here && insideHome(home(), here) ? { position: here } : {};
      report = { path: `/incidents/${incident.id}/reports`, label: { act: 'followup', subject: incident.title },
        body: { new: countsOf(form), ...(note ? { note } : {}), ...at } };
    } else {
      const title = form.elements.title.value.trim();
      if (!title) { error.textContent = t('need.title'); return; }
      if (!where.check()) return;
      report = { path: '/incidents', label: { act: 'report', subject: title },
        body: { kind: form.elements.kind.value, title, location: where.point(), counts: countsOf(form) } };
    }
    if (correcting) await correct(correcting, report.body);
    else await enqueue(report);
    close();
  });
  const close = () => { where?.remove(); form.remove(); };
  form.closeSheet = close;
  form.gpsChanged = () => { where?.refresh(); where?.offerMap(); };
  el('sheets').querySelector('form')?.closeSheet?.();
  el('sheets').replaceChildren(form);
  form.querySelector('input, select')?.focus();
  where?.offerMap();
}

export function renderIncidents(incidents, { live, knownAt }, onFollowUp) {
  el('incidents-state').textContent = live ? t('incidents.live') : t('incidents.known', { time: knownAt ? shortTime(knownAt) : '—' });
  const list = el('incident-list');
  if (!incidents.length) {
    list.replaceChildren(h('li', { className: 'empty' }, t('incidents.none')));
    return;
  }
  list.replaceChildren(...incidents.map((i) => h('li', { className: 'incident' },
    h('div', { className: 'what' }, h('strong', {}, i.title), h('span', {}, term('incidentKind', i.kind))),
    h('div', { className: 'counts' }, counts().map((c) => h('span', {}, `${term('count', c)} ${i.counts?.[c] ?? 0}`))),
    h('button', { type: 'button', onclick: () => onFollowUp(i) }, t('followup')))));
}

export function renderOutbox(all, { paused }) {
  el('outbox-paused').hidden = !paused;
  const list = el('outbox-list');
  const shown = [...all].reverse();
  if (!shown.length) {
    list.replaceChildren(h('li', { className: 'empty' }, t('outbox.empty')));
    return;
  }
  list.replaceChildren(...shown.map((e) => h('li', { className: `entry ${e.status}`, dataset: { status: e.status, key: e.key } },
    h('div', { className: 'line' }, h('span', { className: 'badge' }, t(e.status)), h('span', { className: 'label' }, `${t(e.label.act)} · ${e.label.subject}`)),
    h('div', { className: 'when' }, formatDateTime(e.body.occurred_at)),
    e.status === REFUSED ? [
      h('p', { className: 'detail' }, e.detail),
      h('div', { className: 'actions' },
        h('button', { type: 'button', className: 'secondary', onclick: () => discard(e.id) }, t('discard')),
        h('button', { type: 'button', onclick: () => reopen(e) }, t('correct'))),
    ] : null)));
}

function reopen(entry) {
  const match = entry.path.match(/^\/incidents\/([^/]+)\/reports$/);
  const incident = match ? { id: match[1], title: entry.label.subject } : null;
  openForm({ incident, draft: entry.body, correcting: entry.id });
}
