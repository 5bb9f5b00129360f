// What a feature says: its permanent label, its hover summary and its popup details.
import { escapeHtml } from '../lib/dom.js';
import { getLanguage, t, term } from '../lib/i18n.js';
import { formatDateTime } from '../lib/time.js';
import { COUNT_KEYS, layers } from './state.js';

export function levelBadge(level) {
  if (!level) return t('noLevel');
  return getLanguage() === 'en' ? `Level ${level}` : `${level}级`;
}

export function countsText(counts, keys = COUNT_KEYS) {
  return keys.map((k) => `${term('count', k)} ${counts?.[k] ?? 0}`).join(' · ');
}

/** The permanent label of a feature, or null when it gets a hover tooltip instead. */
export function labelOf(layer, feature) {
  const p = feature.properties;
  switch (p.kind) {
    case 'jurisdiction': return p.level === 'township' || p.level === 'street' ? escapeHtml(p.name) : null;
    case 'incident': {
      if (!layer.labelled) return null;
      // The case counts that are not zero (a food poisoning may have only suspected cases).
      const cases = ['confirmed', 'suspected', 'asymptomatic'].filter((k) => p.counts?.[k]);
      const counts = (cases.length ? cases : ['confirmed']).map((k) => `${term('count', k)} ${p.counts?.[k] ?? 0}`);
      return `${escapeHtml(p.title)} · ${counts.join(' ')}`;
    }
    case 'zone': {
      if (!layer.labelled) return null;
      const due = p.downgrade_due ? ` · <b>${t('downgradeDue')}</b>` : '';
      return `${term('zone', p.zone_kind)} · ${t('daysQuiet', { n: p.days_since_last_case })}${due}`;
    }
    default: return null;
  }
}

export function refreshLabels(layer) {
  for (const leaflet of layer.drawn.values()) refreshLabel(layer, leaflet);
}

/** A label is DOM: set it only when its words change (each set costs a layout). */
export function refreshLabel(layer, leaflet) {
  if (!leaflet.getTooltip()?.options.permanent) return;
  const label = labelOf(layer, leaflet.feature) ?? '';
  if (label !== leaflet.label) {
    leaflet.label = label;
    leaflet.setTooltipContent(label);
  }
}

export function jurisdictionName(code) {
  return layers.jurisdictions.features.get(`jurisdiction:${code}`)?.properties.name ?? code ?? '';
}

/** "城关街道 › 南街社区 › 南街社区第一网格": where a jurisdiction sits in the county. */
export function jurisdictionPath(code) {
  const names = [];
  for (let p = layers.jurisdictions.features.get(`jurisdiction:${code}`)?.properties; p && p.level !== 'county';
    p = layers.jurisdictions.features.get(`jurisdiction:${p.parent}`)?.properties) names.unshift(p.name);
  return names.join(' › ');
}

/** An alert's words in the page's language, when it came with them (CAP <info> blocks); else its own. */
export function alertInfo(p) {
  const infos = p.infos ?? [];
  const prefix = getLanguage() === 'en' ? 'en' : 'zh';
  const at = infos.findIndex((info) => String(info.language ?? '').toLowerCase().startsWith(prefix));
  if (at > 0) return { ...p, ...Object.fromEntries(Object.entries(infos[at]).filter(([, v]) => v)) };
  return p;
}

export function summaryHtml(feature) {
  const p = feature.properties;
  switch (p.kind) {
    case 'jurisdiction':
      return `<b>${escapeHtml(jurisdictionPath(p.code) || p.name)}</b><br>${t('layer.incidents')} ${p.open_incidents}`
        + (p.open_incidents ? `<br>${countsText(p.cases)}` : '');
    case 'zone':
      return `<b>${escapeHtml(p.name ?? '')}</b> ${term('zone', p.zone_kind)}<br>${t('daysQuiet', { n: p.days_since_last_case })}`
        + (p.downgrade_due ? ` · <b>${t('downgradeDue')}</b>` : '');
    case 'incident':
      return `<b>${escapeHtml(p.title)}</b> ${levelBadge(p.level)}<br>${countsText(p.counts)}`;
    case 'resource':
      return `<b>${escapeHtml(p.name)}</b><br>${term('resourceKind', p.resource_kind)} · ${term('resourceStatus', p.status)}`;
    case 'dispatch':
      return `${t('layer.dispatches')}: ${term('resourceKind', p.resource_kind)} ×${p.quantity} · ${term('dispatch', p.state)}`;
    case 'alert': {
      const info = alertInfo(p);
      return `<b>${escapeHtml(info.headline)}</b><br>${term('severity', p.severity)} · ${term('alertStatus', p.status)}`;
    }
    case 'cluster':
      return `${t(`layer.${p.of}`)}: ${t('clusterCount', { n: p.count })}`;
    default: return '';
  }
}

export function detailsHtml(feature) {
  const p = feature.properties;
  switch (p.kind) {
    case 'incident':
      return `${summaryHtml(feature)}<br>${term('incidentKind', p.incident_kind)} · ${escapeHtml(jurisdictionPath(p.jurisdiction))}`
        + `<br>${t('reported')} ${formatDateTime(p.reported_at)} · ${term('incidentStatus', p.status)}`;
    case 'resource':
      return `${summaryHtml(feature)}${p.capacity != null ? `<br>${t('capacity')} ${p.capacity}` : ''}`
        + `${p.quantity != null ? `<br>${t('quantity')} ${p.quantity}` : ''}`;
    case 'alert': {
      const info = alertInfo(p);
      return `${summaryHtml(feature)}${info.description ? `<br>${escapeHtml(info.description)}` : ''}`
        + `${info.instruction ? `<br><i>${escapeHtml(info.instruction)}</i>` : ''}`
        + `${p.placed === false || !feature.geometry ? `<br><span class="no-shape">${t('noShape')}</span>` : ''}`
        + `${p.area_desc ? `<br>${escapeHtml(p.area_desc)}` : ''}`
        + `${p.expires ? `<br>${t('expires')} ${formatDateTime(p.expires)}` : ''}`;
    }
    default:
      return summaryHtml(feature);
  }
}
