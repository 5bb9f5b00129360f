// Public alerts from the map: 发布预警 (its area drawn on the map), shown as the CAP message it will go
// out as, with an explicit choice between 演练 (Exercise) and 正式发布 (Actual) and no default, and a
// second confirmation for an Actual alert; 更正 and 撤销 one step from the alert's popup.
import { ApiProblem, getToken, post } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { openForm } from '../lib/forms.js';
import { t, term } from '../lib/i18n.js';
import { alertInfo } from '../map/labels.js';
import { feed, incidentOptions, now, termOptions } from './common.js';
import { drawArea } from './picking.js';

const CAP_FIELDS = ['headline', 'severity', 'urgency', 'certainty', 'description', 'instruction', 'expires'];

function contentFields(p = {}) {
  return [
    { name: 'headline', label: t('field.headline'), required: true, maxLength: 160, value: p.headline },
    { name: 'severity', label: t('field.severity'), type: 'select', options: termOptions('severity'), required: true,
      value: p.severity, placeholder: p.severity ? undefined : t('field.choose') },
    { name: 'urgency', label: t('field.urgency'), type: 'select', options: termOptions('urgency'), required: true,
      value: p.urgency, placeholder: p.urgency ? undefined : t('field.choose') },
    { name: 'certainty', label: t('field.certainty'), type: 'select', options: termOptions('certainty'), required: true,
      value: p.certainty, placeholder: p.certainty ? undefined : t('field.choose') },
    { name: 'description', label: t('field.alertDescription'), type: 'textarea', max: 5000, value: p.description },
    { name: 'instruction', label: t('field.instruction'), type: 'textarea', max: 5000, value: p.instruction },
    { name: 'expires', label: t('field.expires'), type: 'datetime', value: p.expires },
  ];
}

const given = (values, names) => Object.fromEntries(names.filter((n) => values[n] !== null && values[n] !== undefined).map((n) => [n, values[n]]));

export async function issueAlert() {
  const drawn = await drawArea(t('console.drawAlertArea'));
  if (!drawn) return;
  const preview = h('pre', { className: 'cap-preview', tabIndex: 0, 'aria-label': t('alert.preview') }, t('alert.chooseStatus'));
  const confirmBox = h('div', { className: 'confirm-actual', hidden: true });
  const body = (v) => ({ ...given(v, CAP_FIELDS), area: drawn.area, ...(v.incident ? { incident: v.incident } : {}), status: v.status });
  const form = openForm({
    name: 'issue_alert', title: t('act.issue_alert'), feed,
    fields: [
      ...contentFields(),
      { name: 'incident', label: t('field.incident'), type: 'select', options: incidentOptions(), value: '', placeholder: t('field.noIncident') },
      // No default: the person says which it is, every time.
      { name: 'status', label: t('field.status'), type: 'radios', required: true,
        options: [{ value: 'Exercise', label: term('alertStatus', 'Exercise') }, { value: 'Actual', label: term('alertStatus', 'Actual') }] },
    ],
    confirm: (v) => (v.status === 'Actual' ? confirmActual(confirmBox) : Promise.resolve(true)),
    send: (v, { key }) => post('/alerts', body(v), { key }),
    onClose: () => drawn.layer.remove(),
  });
  form.extra.append(h('div', { className: 'form-field preview' }, h('span', { className: 'form-label' }, t('alert.preview')), preview), confirmBox);
  // The message as it will go out, again after every change (and with the status once it is chosen).
  let timer = null;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(() => showPreview(preview, form.values(), body), 300);
  };
  form.node.addEventListener('input', refresh);
  form.node.addEventListener('change', refresh);
}

async function showPreview(preview, values, body) {
  if (!values.status) {
    preview.textContent = t('alert.chooseStatus');
    return;
  }
  if (!values.headline || !values.severity || !values.urgency || !values.certainty) return;
  preview.textContent = t('alert.previewLoading');
  try {
    const response = await fetch('/api/v1/alerts/preview', { method: 'POST', body: JSON.stringify(body(values)),
      headers: { Authorization: `Bearer ${getToken()}`, 'Content-Type': 'application/json' } });
    const text = await response.text();
    if (response.ok) preview.textContent = text;
    else preview.textContent = t('alert.previewError', { detail: new ApiProblem(response.status, safeJson(text)).detail });
    preview.dataset.status = values.status;
  } catch (error) {
    preview.textContent = t('alert.previewError', { detail: String(error) });
  }
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text };
  }
}

/** The second step of an Actual alert: says what it is, and goes on only on 确认正式发布. */
function confirmActual(box) {
  return new Promise((resolve) => {
    const answer = (yes) => {
      box.hidden = true;
      box.replaceChildren();
      resolve(yes);
    };
    box.replaceChildren(h('p', { role: 'alert' }, t('alert.confirmText')),
      h('div', { className: 'form-buttons' },
        h('button', { type: 'button', className: 'danger', onclick: () => answer(true) }, t('alert.confirmActual')),
        h('button', { type: 'button', onclick: () => answer(false) }, t('alert.back'))));
    box.hidden = false;
    box.querySelector('button.danger').focus();
  });
}

function seenAlert(p) {
  return { version: p.version, current: () => now('alerts', 'alert', p.id),
    describe: (fresh) => `${alertInfo(fresh).headline} · ${term('severity', fresh.severity)}` };
}

export function updateAlert(feature) {
  const p = feature.properties;
  openForm({
    name: 'update_alert', title: `${t('act.update_alert')} · ${p.headline}`, feed, seen: seenAlert(p),
    intro: t('alert.updateIntro'),
    fields: contentFields(p),
    send: (v, { key, version }) => {
      const changes = Object.fromEntries(Object.entries(given(v, CAP_FIELDS)).filter(([name, value]) => value !== p[name]
        && !(name === 'expires' && p.expires && Date.parse(value) === Date.parse(p.expires))));
      return post(`/alerts/${p.id}/update`, changes, { key, version });
    },
  });
}

export function cancelAlert(feature) {
  const p = feature.properties;
  openForm({
    name: 'cancel_alert', title: `${t('act.cancel_alert')} · ${p.headline}`, feed, seen: seenAlert(p),
    intro: t('alert.cancelIntro', { headline: alertInfo(p).headline }),
    fields: [{ name: 'reason', label: t('field.reasonOptional'), type: 'textarea', max: 500 }],
    send: (v, { key, version }) => post(`/alerts/${p.id}/cancel`, v.reason ? { reason: v.reason } : {}, { key, version }),
  });
}
