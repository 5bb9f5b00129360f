// Dispatches from the map: 调度资源 (an incident, a kind, a quantity, a destination clicked on the map),
// then from the dispatch's popup 落实资源 (an available resource of that kind, nearest first), 出发, 到达,
// 释放 and 取消调度, each with the version the person saw.
import { post } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { openForm } from '../lib/forms.js';
import { t, term } from '../lib/i18n.js';
import { layers } from '../map/state.js';
import { feed, incidentOptions, now, placeText, termOptions } from './common.js';
import { pickPoint } from './picking.js';

const STEPS = { depart: 'depart', arrive: 'arrive', release: 'release', cancel_dispatch: 'cancel' };

export function requestDispatch(incident = null) {
  const incidents = incidentOptions();
  const first = incident ?? (incidents.length === 1 ? incidents[0].value : null);
  let destination = first ? locationOf(first) : null;
  const place = h('output', { className: 'destination' }, destination ? placeText(destination) : '–');
  const pick = h('button', { type: 'button', className: 'pick', onclick: async () => {
    form.node.hidden = true;
    const point = await pickPoint(t('console.pickDestination'));
    form.node.hidden = false;
    if (point) {
      destination = point;
      place.textContent = placeText(point);
    }
  } }, t('hint.pickAgain'));
  const form = openForm({
    name: 'request_dispatch', title: t('act.request_dispatch'), feed,
    intro: h('div', { className: 'form-field static' }, h('span', { className: 'form-label' }, t('field.destination')), place, pick),
    fields: [
      { name: 'incident', label: t('field.incident'), type: 'select', options: incidents, value: first ?? undefined,
        placeholder: first ? undefined : t('field.choose'), required: true },
      { name: 'kind', label: t('field.resourceKind'), type: 'select', options: termOptions('resourceKind'), required: true,
        placeholder: t('field.choose') },
      { name: 'quantity', label: t('field.quantity'), type: 'number', min: 1, max: 10000000, value: 1, required: true },
    ],
    send: (v, { key }) => post('/dispatches', { incident: v.incident, kind: v.kind, quantity: v.quantity,
      destination: destination ?? locationOf(v.incident) }, { key }),
  });
  // Choosing another incident moves the destination to it, until one is picked on the map.
  form.node.querySelector('select[name=incident]').addEventListener('change', (event) => {
    destination = locationOf(event.target.value);
    place.textContent = destination ? placeText(destination) : '–';
  });
}

function locationOf(incident) {
  return layers.incidents.features.get(`incident:${incident}`)?.geometry?.coordinates ?? null;
}

function seenDispatch(p) {
  return { version: p.version, current: () => now('dispatches', 'dispatch', p.id),
    describe: (fresh) => `${term('resourceKind', fresh.resource_kind)} ×${fresh.quantity} · ${term('dispatch', fresh.state)}` };
}

function destinationOf(feature) {
  const g = feature.geometry;
  return g.type === 'Point' ? g.coordinates : g.coordinates[g.coordinates.length - 1];
}

/** Kilometres between two [lon, lat] (haversine). */
function km([lon1, lat1], [lon2, lat2]) {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 12742 * Math.asin(Math.sqrt(a));
}

export function commitDispatch(feature) {
  const p = feature.properties;
  const to = destinationOf(feature);
  const available = [...layers.resources.features.values()]
    .filter((r) => r.properties.resource_kind === p.resource_kind && r.properties.status === 'available')
    .map((r) => ({ r, distance: km(r.geometry.coordinates, to) }))
    .sort((a, b) => a.distance - b.distance);
  openForm({
    name: 'commit_dispatch', title: `${t('act.commit_dispatch')} · ${term('resourceKind', p.resource_kind)} ×${p.quantity}`, feed,
    seen: seenDispatch(p),
    fields: [{ name: 'resource', label: t('field.resource'), type: 'radios', required: true, empty: t('dispatch.noResource'),
      value: available[0]?.r.properties.id,
      options: available.map(({ r, distance }) => ({ value: r.properties.id,
        label: `${r.properties.name} · ${t('dispatch.km', { km: distance.toFixed(1) })}` })) }],
    send: (v, { key, version }) => post(`/dispatches/${p.id}/commit`, { resource: v.resource }, { key, version }),
  });
}

export function stepDispatch(command, feature) {
  const p = feature.properties;
  openForm({
    name: command, title: `${t(`act.${command}`)} · ${term('resourceKind', p.resource_kind)} ×${p.quantity}`, feed,
    seen: seenDispatch(p), intro: term('dispatch', p.state),
    fields: [{ name: 'reason', label: t('field.reasonOptional'), type: 'textarea', max: 500 }],
    send: (v, { key, version }) => post(`/dispatches/${p.id}/${STEPS[command]}`, v.reason ? { reason: v.reason } : {}, { key, version }),
  });
}

/** The steps a dispatch in `state` can take next. */
export function nextSteps(state) {
  switch (state) {
    case 'requested': return ['commit_dispatch', 'cancel_dispatch'];
    case 'committed': return ['depart', 'cancel_dispatch'];
    case 'en_route': return ['arrive'];
    case 'on_scene': return ['release'];
    default: return [];
  }
}
