// Incidents from the map: 报告事件 at a point, and from an incident's popup or board row 定级, 续报, 结束事件.
import { post } from '../lib/api.js';
import { order } from '../lib/config.js';
import { openForm } from '../lib/forms.js';
import { t, term } from '../lib/i18n.js';
import { countsText, levelBadge } from '../map/labels.js';
import { feed, now, placeText, termOptions } from './common.js';

const COUNT_FIELDS = ['confirmed', 'suspected', 'asymptomatic', 'close_contacts'];

function countFields(hint) {
  return COUNT_FIELDS.map((key) => ({ name: key, label: term('count', key), type: 'number', min: 0, max: 10000000, value: 0,
    hint: key === 'confirmed' ? hint : undefined }));
}

const countsOf = (values) => Object.fromEntries(COUNT_FIELDS.map((key) => [key, values[key] ?? 0]));

function seenIncident(p) {
  return { version: p.version, current: () => now('incidents', 'incident', p.id),
    describe: (fresh) => `${levelBadge(fresh.level)} · ${countsText(fresh.counts)} · ${term('incidentStatus', fresh.status)}` };
}

export function reportIncident(point) {
  openForm({
    name: 'report_incident', title: t('act.report_incident'), feed,
    fields: [
      { name: 'location', label: t('field.location'), type: 'static', value: placeText(point) },
      { name: 'kind', label: t('field.kind'), type: 'select', options: termOptions('incidentKind'), value: order('incidentKind')[0], required: true },
      { name: 'title', label: t('field.title'), required: true, maxLength: 200 },
      ...countFields(),
      { name: 'occurred_at', label: t('field.occurred_at'), type: 'datetime', value: Date.now(), required: true },
    ],
    send: (v, { key }) => post('/incidents', { kind: v.kind, title: v.title, location: point, counts: countsOf(v),
      occurred_at: v.occurred_at }, { key }),
  });
}

export function setLevel(p) {
  openForm({
    name: 'set_level', title: `${t('act.set_level')} · ${p.title}`, feed, seen: seenIncident(p),
    fields: [
      { name: 'level', label: t('field.level'), type: 'select', options: termOptions('level'), value: p.level ?? undefined,
        placeholder: p.level ? undefined : t('field.choose'), required: true },
      { name: 'reason', label: t('field.reason'), type: 'textarea', required: true, max: 500 },
    ],
    send: (v, { key, version }) => post(`/incidents/${p.id}/level`, { level: v.level, reason: v.reason }, { key, version }),
  });
}

export function fileReport(p) {
  // An append that may run beside others' (two teams reporting at once both count): no version.
  openForm({
    name: 'file_report', title: `${t('act.file_report')} · ${p.title}`, feed,
    intro: countsText(p.counts),
    fields: [...countFields(t('hint.newCounts')), { name: 'note', label: t('field.note'), type: 'textarea', max: 2000 }],
    send: (v, { key }) => post(`/incidents/${p.id}/reports`, { new: countsOf(v), ...(v.note ? { note: v.note } : {}) }, { key }),
  });
}

export function closeIncident(p) {
  openForm({
    name: 'close_incident', title: `${t('act.close_incident')} · ${p.title}`, feed, seen: seenIncident(p),
    fields: [{ name: 'reason', label: t('field.reason'), type: 'textarea', required: true, max: 500 }],
    send: (v, { key, version }) => post(`/incidents/${p.id}/close`, { reason: v.reason }, { key, version }),
  });
}
