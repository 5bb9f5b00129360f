// Control zones from the map: 划定区域 (a polygon drawn with Leaflet-Geoman, then its incident and kind),
// and from a zone's popup 降级 and 解除.
import { post } from '../lib/api.js';
import { config } from '../lib/config.js';
import { openForm } from '../lib/forms.js';
import { t, term } from '../lib/i18n.js';
import { feed, incidentOptions, now, termOptions } from './common.js';
import { drawArea } from './picking.js';

function seenZone(p) {
  return { version: p.version, current: () => now('zones', 'zone', p.id),
    describe: (fresh) => `${term('zone', fresh.zone_kind)}${fresh.name ? ` · ${fresh.name}` : ''}` };
}

export async function declareZone(incident = null) {
  const drawn = await drawArea(t('console.drawArea'));
  if (!drawn) return;
  const incidents = incidentOptions();
  openForm({
    name: 'declare_zone', title: t('act.declare_zone'), feed,
    fields: [
      { name: 'incident', label: t('field.incident'), type: 'select', options: incidents, required: true,
        value: incident ?? (incidents.length === 1 ? incidents[0].value : undefined), placeholder: t('field.choose') },
      { name: 'kind', label: t('field.zoneKind'), type: 'select', options: termOptions('zone'), required: true,
        placeholder: t('field.choose') },
      { name: 'name', label: t('field.name'), maxLength: 100 },
    ],
    send: (v, { key }) => post('/zones', { incident: v.incident, kind: v.kind, area: drawn.area, ...(v.name ? { name: v.name } : {}) }, { key }),
    onClose: () => drawn.layer.remove(),
  });
}

export function downgradeZone(p) {
  const next = config.zone_steps[p.zone_kind];
  openForm({
    name: 'downgrade_zone', title: `${t('act.downgrade_zone')} · ${p.name ?? term('zone', p.zone_kind)}`, feed, seen: seenZone(p),
    intro: t('zone.from', { from: term('zone', p.zone_kind), to: term('zone', next) }),
    fields: [{ name: 'reason', label: t('field.reasonOptional'), type: 'textarea', max: 500 }],
    send: (v, { key, version }) => post(`/zones/${p.id}/downgrade`, v.reason ? { reason: v.reason } : {}, { key, version }),
  });
}

export function liftZone(p) {
  openForm({
    name: 'lift_zone', title: `${t('act.lift_zone')} · ${p.name ?? term('zone', p.zone_kind)}`, feed, seen: seenZone(p),
    intro: t('zone.liftFrom', { kind: term('zone', p.zone_kind) }),
    fields: [{ name: 'reason', label: t('field.reasonOptional'), type: 'textarea', max: 500 }],
    send: (v, { key, version }) => post(`/zones/${p.id}/lift`, v.reason ? { reason: v.reason } : {}, { key, version }),
  });
}
