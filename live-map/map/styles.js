// How each kind of feature looks (LF: small named style functions), in the server's colours.
import { palette } from '../lib/config.js';

export function styleOf(feature) {
  const p = feature.properties;
  switch (p.kind) {
    case 'jurisdiction': return jurisdictionStyle(p);
    case 'zone': return zoneStyle(p);
    case 'incident': return incidentStyle(p);
    case 'resource': return resourceStyle(p);
    case 'dispatch': return dispatchStyle(p);
    case 'alert': return alertStyle();
    default: return {};
  }
}

function jurisdictionStyle(p) {
  const colours = palette();
  const status = p.colour && p.colour !== 'none' ? colours.level[p.colour] : null;
  switch (p.level) {
    case 'county':
      return { color: colours.border.county, weight: 4, fill: false, interactive: false };
    case 'township':
    case 'street':
      return { color: status ?? colours.border.township, weight: status ? 4 : 2.5, fill: false, interactive: false };
    case 'village':
    case 'community':
      return { color: colours.border.village, weight: 1.2, fillColor: status ?? colours.base, fillOpacity: status ? 0.3 : 0.55 };
    default: // grid: the finest cell, where a case was found
      return { color: colours.border.grid, weight: 0.8, dashArray: '3 4', fillColor: status ?? colours.base, fillOpacity: status ? 0.25 : 0 };
  }
}

const zoneStyles = new Map();  // one style object per look: 17,649 zones share six

function zoneStyle(p) {
  const key = `${p.zone_kind}|${Boolean(p.downgrade_due)}`;
  let style = zoneStyles.get(key);
  if (!style) {
    const zones = palette().zone;
    const colour = zones[p.zone_kind] ?? zones.prevention;
    style = p.downgrade_due
      ? { color: zones.due, weight: 4, dashArray: '10 7', fillColor: colour, fillOpacity: 0.32 }
      : { color: colour, weight: 3, fillColor: colour, fillOpacity: 0.32 };
    zoneStyles.set(key, Object.freeze(style));
  }
  return style;
}

function incidentStyle(p) {
  const levels = palette().level;
  const cases = (p.counts?.confirmed ?? 0) + (p.counts?.suspected ?? 0) + (p.counts?.asymptomatic ?? 0);
  const closed = p.status === 'closed';
  return { radius: 11 + Math.min(15, 2 * Math.sqrt(cases)), color: closed ? '#94a3b8' : '#ffffff', weight: 3,
    dashArray: closed ? '4 4' : null, fillColor: levels[p.colour] ?? levels.grey, fillOpacity: closed ? 0.35 : 0.95 };
}

function resourceStyle(p) {
  const resources = palette().resource;
  return { radius: 7, color: '#0b1220', weight: 2, fillColor: resources[p.status] ?? resources.available, fillOpacity: 0.95 };
}

function dispatchStyle(p) {
  const dispatches = palette().dispatch;
  const dashed = p.state === 'requested' || p.state === 'en_route';
  return { radius: 6, color: dispatches[p.state] ?? dispatches.requested, weight: 4, opacity: 0.95,
    dashArray: dashed ? '12 8' : null, fillOpacity: 0.6 };
}

function alertStyle() {
  const colour = palette().alert.any;
  return { color: colour, weight: 3, dashArray: '4 8', fillColor: colour, fillOpacity: 0.08 };
}

/** The colour of a cluster marker: its highest level's, or the resources' colour. */
export function clusterColour(p) {
  const colours = palette();
  return p.of === 'incidents' ? colours.level[p.colour] ?? colours.level.grey : colours.resource.available;
}
