// The command center's live map (一张图): one snapshot, then deltas over the websocket, applied in
// place. The base is the county's own jurisdictions, so the page works without a tile server.
import { getLanguage, setLanguage, t, term, translatePage } from './i18n.js';

const API = '/api/v1';
const TOKEN_KEY = 'lianfang.token';
// The county's wall clock (China Standard Time, UTC+8, no daylight saving), whatever time zone the
// viewing machine is set to. Plain arithmetic: Intl formatting is too slow for every delta.
const COUNTY_UTC_OFFSET_MS = 8 * 3600 * 1000;
const HEARTBEAT_MS = 15000;
const STALE_AFTER_MS = 2 * HEARTBEAT_MS + 5000;   // two missed heartbeats: say so on the wall
const DEAD_AFTER_MS = 4 * HEARTBEAT_MS;           // a half-open socket: drop it and resume
const RETRY_MS = [500, 1000, 2000, 4000];
const CLUSTER_ABOVE = 2000;   // a point layer larger than this is drawn as grid clusters
const CLUSTER_CELL_PX = 64;
const CLUSTER_OFF_ZOOM = 17;  // from this zoom in, a clustered layer shows every point in view as itself
const BULK_ABOVE = 2000;      // a layer of areas or lines larger than this is painted on one canvas
const LABEL_LIMIT = 60;       // permanent labels only while a layer is this small
const BOARD_LIMIT = 100;
const LEDGER_LIMIT = 200;
const ACTIVITY_LIMIT = 100;
const PLAY_TICK_MS = 500;

const PALETTE = {
  level: { red: '#ef4444', orange: '#f97316', yellow: '#facc15', blue: '#3b82f6', grey: '#94a3b8' },
  zone: { sealed: '#dc2626', controlled: '#ea580c', prevention: '#16a34a', due: '#ffffff' },
  resource: { available: '#22d3ee', committed: '#c084fc', en_route: '#f472b6', on_scene: '#fde047' },
  dispatch: { requested: '#94a3b8', committed: '#c084fc', en_route: '#f472b6', on_scene: '#fde047' },
  alert: { any: '#e879f9' },
  border: { county: '#e2e8f0', township: '#93a4c3', village: '#52617e', grid: '#3a4660' },
  base: '#17223a',
};
const LEVEL_RANK = { I: 4, II: 3, III: 2, IV: 1 };
const COLOUR_RANK = { red: 0, yellow: 1, green: 2 };
const COUNT_KEYS = ['confirmed', 'suspected', 'asymptomatic', 'close_contacts'];

// Bottom to top: each layer has its own pane and canvas, so a zone drawn late never hides an incident.
const LAYER_NAMES = ['jurisdictions', 'zones', 'alerts', 'dispatches', 'resources', 'incidents'];
const LAYER_OF_KIND = {
  jurisdiction: 'jurisdictions', zone: 'zones', alert: 'alerts',
  dispatch: 'dispatches', resource: 'resources', incident: 'incidents',
};
const CLUSTERABLE = new Set(['resources', 'incidents']);
// Nested zones: whatever order they arrive in, sealed is drawn above controlled above prevention.
const ZONE_KINDS = ['prevention', 'controlled', 'sealed'];

const state = {
  token: null,
  config: { drill: null, tile_url: null },
  mode: 'live',            // 'live' or 'review'
  conn: 'connecting',      // connecting | live | reconnecting | stale | review
  position: null,
  at: null,
  socket: null,
  attempt: 0,
  retryTimer: null,
  lastHeard: 0,
  fitted: false,
  tasks: new Map(),
  activityNewest: 0,
  review: { start: 0, end: 0, at: null, loading: false, pending: null, player: null, debounce: null },
};

// Measurements, read by the browser tests and handy in the console on the wall's machine.
const stats = { deltas: 0, changes: 0, lastDeltaMs: 0, maxDeltaMs: 0, recentDeltaMs: [], lastSnapshotMs: 0,
  lastClusterMs: 0, lastPanelsMs: 0, resumes: [], messages: [], connStates: [] };

let map;
let bulkTip;                  // the hover tooltip of features on bulk canvases
let pointerOnFeature = false; // over a feature drawn by Leaflet: it has its own tooltip
const layers = {};
const zoneRenderers = {};
const el = (id) => document.getElementById(id);

// -- small helpers -------------------------------------------------------------------------------

function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

const two = (n) => String(n).padStart(2, '0');

function timeParts(iso) {
  const ms = iso instanceof Date ? iso.getTime() : Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  const d = new Date(ms + COUNTY_UTC_OFFSET_MS);
  return { year: d.getUTCFullYear(), month: two(d.getUTCMonth() + 1), day: two(d.getUTCDate()),
    hour: two(d.getUTCHours()), minute: two(d.getUTCMinutes()), second: two(d.getUTCSeconds()) };
}

/** "11-27 21:03:05" in the county's time. */
function formatTime(iso) {
  const p = timeParts(iso);
  return p ? `${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}` : '';
}

function formatClock(iso) {
  const p = timeParts(iso);
  return p ? `${p.hour}:${p.minute}:${p.second}` : '';
}

function formatDateTime(iso) {
  const p = timeParts(iso);
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : '';
}

function levelBadge(level) {
  if (!level) return t('noLevel');
  return getLanguage() === 'en' ? `Level ${level}` : `${level}级`;
}

function countsText(counts, keys = COUNT_KEYS) {
  return keys.map((k) => `${term('count', k)} ${counts?.[k] ?? 0}`).join(' · ');
}

// -- talking to the server -----------------------------------------------------------------------

class AuthError extends Error {}

async function api(path) {
  const response = await fetch(API + path, { headers: { Authorization: `Bearer ${state.token}` } });
  if (response.status === 401) throw new AuthError(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

async function fetchConfig() {
  try {
    const response = await fetch(`${API}/config`);
    if (response.ok) return await response.json();
  } catch (error) {
    console.warn('config unavailable; assuming a live store without tiles', error);
  }
  return { drill: null, tile_url: null };
}

/** 'ok', 'invalid' or 'unreachable'; the first event's time also starts the review timeline. */
async function probeToken() {
  try {
    const first = await api('/events?after=0&limit=1');
    if (first.events.length) state.review.start = Date.parse(first.events[0].recorded_at);
    return 'ok';
  } catch (error) {
    return error instanceof AuthError ? 'invalid' : 'unreachable';
  }
}

// -- login ---------------------------------------------------------------------------------------

/** The token from ?access_token= (once: it leaves the address bar at once) or from this session. */
function takeToken() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('access_token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('access_token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function showLogin(messageKey) {
  stopLive();
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  el('login-error').textContent = messageKey ? t(messageKey) : '';
  el('login').hidden = false;
  el('login-token').focus();
}

function wireLogin() {
  el('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = el('login-token').value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    el('login-token').value = '';
    el('login').hidden = true;
    state.token = token;
    begin();
  });
}

// -- the map and its layers ----------------------------------------------------------------------
//
// A layer is drawn in one of three ways, by its size: 'plain', a Leaflet layer per feature on the
// layer's canvas (labelled while few); 'clustered', a large point layer as a grid of screen cells,
// one marker per cell (see clusters below); 'bulk', a large layer of areas or lines painted on one
// canvas from plain arrays, with no Leaflet layer per feature (see BulkCanvas below).

function createMap() {
  map = L.map('map', { preferCanvas: true, attributionControl: false, zoomSnap: 0.25, minZoom: 6, maxZoom: 19 });
  map.setView([30.67, 104.15], 11);
  LAYER_NAMES.forEach((name, i) => {
    map.createPane(name).style.zIndex = String(400 + 10 * i);
    layers[name] = createLayer(name);
  });
  ZONE_KINDS.forEach((kind, i) => {
    map.createPane(`zones-${kind}`).style.zIndex = String(411 + i);
    zoneRenderers[kind] = L.canvas({ pane: `zones-${kind}`, padding: 0.1 });
  });
  map.on('moveend', () => {
    for (const layer of Object.values(layers)) if (layer.mode === 'clustered') drawClusters(layer);
  });
  // Features on a bulk canvas have no Leaflet layer: the map's own events find them.
  bulkTip = L.tooltip({ className: 'map-tip', direction: 'auto' });
  map.on('mousemove', (event) => hoverBulk(event));
  map.on('mouseout', () => hoverBulk(null));
  map.on('click', (event) => {
    const feature = bulkFeatureAt(event.layerPoint);
    if (feature) L.popup({ maxWidth: 520 }).setLatLng(event.latlng).setContent(detailsHtml(feature)).openOn(map);
  });
}

function addTiles(url) {
  if (url) L.tileLayer(url, { maxZoom: 19 }).addTo(map);
}

function createLayer(name) {
  const renderer = L.canvas({ pane: name, padding: 0.1 });
  const layer = { name, features: new Map(), drawn: new Map(), mode: 'plain', labelled: true,
    visible: true, grid: null, bulk: null, geo: null };
  layer.geo = L.geoJSON(null, {
    pane: name,
    renderer,
    // The renderer travels with the style: it is read when the feature is added to the map.
    style: (feature) => ({ ...styleOf(feature), ...(name === 'zones' ? { renderer: zoneRenderers[feature.properties.zone_kind] ?? renderer } : {}) }),
    pointToLayer: (feature, latlng) => (feature.properties.kind === 'cluster'
      ? L.marker(latlng, { pane: name, icon: clusterIcon(feature.properties) })
      : L.circleMarker(latlng, { pane: name, renderer })),
    onEachFeature: (feature, leaflet) => decorate(layer, feature, leaflet),
  }).addTo(map);
  // One hover tooltip and one click handler per layer, not per feature.
  layer.geo.bindTooltip((drawn) => summaryHtml(drawn.feature), { sticky: true, className: 'map-tip' });
  layer.geo.on('click', (event) => showDetails(event));
  layer.geo.on('mouseover', () => { pointerOnFeature = true; hoverBulk(null); });
  layer.geo.on('mouseout', () => { pointerOnFeature = false; });
  return layer;
}

function showDetails(event) {
  const drawn = event.propagatedFrom ?? event.layer;
  const feature = drawn?.feature;
  if (!feature) return;
  L.DomEvent.stopPropagation(event);  // a zone on a bulk canvas under it does not answer too
  if (feature.properties.kind === 'cluster') {
    map.setView(drawn.getLatLng(), Math.min(map.getMaxZoom(), map.getZoom() + 2));  // open the cluster up
    return;
  }
  L.popup({ maxWidth: 520 }).setLatLng(event.latlng).setContent(detailsHtml(feature)).openOn(map);
}

/** The topmost feature drawn on a visible bulk canvas at a layer point, if any. */
function bulkFeatureAt(point) {
  for (let i = LAYER_NAMES.length - 1; i >= 0; i--) {
    const layer = layers[LAYER_NAMES[i]];
    if (layer.mode !== 'bulk' || !layer.visible || !layer.bulk) continue;
    const feature = layer.bulk.featureAt(point);
    if (feature) return feature;
  }
  return null;
}

function hoverBulk(event) {
  const feature = event && !pointerOnFeature && !map.dragging.moving() ? bulkFeatureAt(event.layerPoint) : null;
  map.getContainer().classList.toggle('bulk-hover', Boolean(feature));
  if (!feature) {
    if (map.hasLayer(bulkTip)) map.closeTooltip(bulkTip);
    return;
  }
  bulkTip.setLatLng(event.latlng).setContent(summaryHtml(feature));
  if (!map.hasLayer(bulkTip)) map.openTooltip(bulkTip);
}

/** A cluster is a DOM marker with its count inside: cheaper than a canvas circle plus a label. */
function clusterIcon(p) {
  const size = Math.round(30 + 8 * Math.log10(p.count));
  const colour = p.of === 'incidents' ? PALETTE.level[p.colour] ?? PALETTE.level.grey : PALETTE.resource.available;
  const count = document.createElement('span');  // (styled through the DOM: the page's CSP allows no style="")
  count.style.setProperty('--cluster', colour);
  count.textContent = p.count;
  return L.divIcon({ className: 'cluster-icon', iconSize: [size, size], html: count });
}

/** Remember the Leaflet layer of a feature (for removal by id) and label it while its layer is small. */
function decorate(layer, feature, leaflet) {
  layer.drawn.set(feature.id, leaflet);
  const label = labelOf(layer, feature);
  if (label === null) return;
  const kind = feature.properties.kind;
  const direction = kind === 'zone' ? 'top' : 'right';
  leaflet.label = label;
  leaflet.bindTooltip(label, { permanent: true, direction, className: `map-label label-${kind}`,
    offset: direction === 'right' ? [14, 0] : [0, 0] });
  // Nested zones share a centre (sealed inside controlled): label each at its own top edge.
  if (kind === 'zone') leaflet.on('add', () => leaflet.openTooltip(topEdge(leaflet)));
}

function topEdge(polygon) {
  const bounds = polygon.getBounds();
  return L.latLng(bounds.getNorth(), bounds.getCenter().lng);
}

function styleOf(feature) {
  const p = feature.properties;
  switch (p.kind) {
    case 'jurisdiction': return jurisdictionStyle(p);
    case 'zone': return zoneStyle(p);
    case 'incident': return incidentStyle(p);
    case 'resource': return resourceStyle(p);
    case 'dispatch': return dispatchStyle(p);
    case 'alert': return { color: PALETTE.alert.any, weight: 3, dashArray: '4 8', fillColor: PALETTE.alert.any, fillOpacity: 0.08 };
    default: return {};
  }
}

function jurisdictionStyle(p) {
  const status = p.colour && p.colour !== 'none' ? PALETTE.level[p.colour] : null;
  switch (p.level) {
    case 'county':
      return { color: PALETTE.border.county, weight: 4, fill: false, interactive: false };
    case 'township':
    case 'street':
      return { color: status ?? PALETTE.border.township, weight: status ? 4 : 2.5, fill: false, interactive: false };
    case 'village':
    case 'community':
      return { color: PALETTE.border.village, weight: 1.2, fillColor: status ?? PALETTE.base, fillOpacity: status ? 0.3 : 0.55 };
    default: // grid: the finest cell, where a case was found
      return { color: PALETTE.border.grid, weight: 0.8, dashArray: '3 4', fillColor: status ?? PALETTE.base, fillOpacity: status ? 0.25 : 0 };
  }
}

const zoneStyles = new Map();  // one style object per look: 17,649 zones share six

function zoneStyle(p) {
  const key = `${p.zone_kind}|${Boolean(p.downgrade_due)}`;
  let style = zoneStyles.get(key);
  if (!style) {
    const colour = PALETTE.zone[p.zone_kind] ?? PALETTE.zone.prevention;
    style = p.downgrade_due
      ? { color: PALETTE.zone.due, weight: 4, dashArray: '10 7', fillColor: colour, fillOpacity: 0.32 }
      : { color: colour, weight: 3, fillColor: colour, fillOpacity: 0.32 };
    zoneStyles.set(key, Object.freeze(style));
  }
  return style;
}

function incidentStyle(p) {
  const cases = (p.counts?.confirmed ?? 0) + (p.counts?.suspected ?? 0) + (p.counts?.asymptomatic ?? 0);
  const closed = p.status === 'closed';
  return { radius: 11 + Math.min(15, 2 * Math.sqrt(cases)), color: closed ? '#94a3b8' : '#ffffff', weight: 3,
    dashArray: closed ? '4 4' : null, fillColor: PALETTE.level[p.colour] ?? PALETTE.level.grey, fillOpacity: closed ? 0.35 : 0.95 };
}

function resourceStyle(p) {
  return { radius: 7, color: '#0b1220', weight: 2, fillColor: PALETTE.resource[p.status] ?? PALETTE.resource.available, fillOpacity: 0.95 };
}

function dispatchStyle(p) {
  const dashed = p.state === 'requested' || p.state === 'en_route';
  return { radius: 6, color: PALETTE.dispatch[p.state] ?? PALETTE.dispatch.requested, weight: 4, opacity: 0.95,
    dashArray: dashed ? '12 8' : null, fillOpacity: 0.6 };
}

/** The permanent label of a feature, or null when it gets a hover tooltip instead. */
function labelOf(layer, feature) {
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

function refreshLabels(layer) {
  for (const leaflet of layer.drawn.values()) refreshLabel(layer, leaflet);
}

/** A label is DOM: set it only when its words change (each set costs a layout). */
function refreshLabel(layer, leaflet) {
  if (!leaflet.getTooltip()?.options.permanent) return;
  const label = labelOf(layer, leaflet.feature) ?? '';
  if (label !== leaflet.label) {
    leaflet.label = label;
    leaflet.setTooltipContent(label);
  }
}

function jurisdictionName(code) {
  return layers.jurisdictions.features.get(`jurisdiction:${code}`)?.properties.name ?? code ?? '';
}

/** "城关街道 › 南街社区 › 南街社区第一网格": where a jurisdiction sits in the county. */
function jurisdictionPath(code) {
  const names = [];
  for (let p = layers.jurisdictions.features.get(`jurisdiction:${code}`)?.properties; p && p.level !== 'county';
    p = layers.jurisdictions.features.get(`jurisdiction:${p.parent}`)?.properties) names.unshift(p.name);
  return names.join(' › ');
}

function summaryHtml(feature) {
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
    case 'alert':
      return `<b>${escapeHtml(p.headline)}</b><br>${term('severity', p.severity)}`;
    case 'cluster':
      return `${t(`layer.${p.of}`)}: ${t('clusterCount', { n: p.count })}`;
    default: return '';
  }
}

function detailsHtml(feature) {
  const p = feature.properties;
  switch (p.kind) {
    case 'incident':
      return `${summaryHtml(feature)}<br>${term('incidentKind', p.incident_kind)} · ${escapeHtml(jurisdictionPath(p.jurisdiction))}`
        + `<br>${t('reported')} ${formatDateTime(p.reported_at)} · ${term('incidentStatus', p.status)}`;
    case 'resource':
      return `${summaryHtml(feature)}${p.capacity != null ? `<br>${t('capacity')} ${p.capacity}` : ''}`
        + `${p.quantity != null ? `<br>${t('quantity')} ${p.quantity}` : ''}`;
    case 'alert':
      return `${summaryHtml(feature)}${p.expires ? `<br>${t('expires')} ${formatDateTime(p.expires)}` : ''}`;
    default:
      return summaryHtml(feature);
  }
}

// -- applying features: one store per layer, drawn in place --------------------------------------
//
// Every change goes through storeFeature/forgetFeature, which keep the legend's counts, the KPIs
// and the incident board up to date by the change alone: nothing is recounted per delta.

const tally = { zones: {}, kpi: {} };

function resetTally(name) {
  if (name === 'zones') tally.zones = { sealed: 0, controlled: 0, prevention: 0, due: 0 };
  if (name === 'incidents') tally.kpi = { open_incidents: 0, confirmed: 0, suspected: 0, asymptomatic: 0, close_contacts: 0 };
}

resetTally('zones');
resetTally('incidents');

function count(name, feature, sign) {
  const p = feature.properties;
  if (name === 'zones') {
    tally.zones[p.zone_kind] = (tally.zones[p.zone_kind] ?? 0) + sign;
    if (p.downgrade_due) tally.zones.due += sign;
  } else if (name === 'incidents' && p.status === 'open') {
    tally.kpi.open_incidents += sign;
    for (const key of COUNT_KEYS) tally.kpi[key] += sign * (p.counts?.[key] ?? 0);
  }
}

/** Keep `feature` in its layer's store; the feature it replaces, if any. */
function storeFeature(layer, feature) {
  const before = layer.features.get(feature.id);
  if (layer.name === 'incidents') boardChange(before?.properties, feature.properties);
  if (before) count(layer.name, before, -1);
  layer.features.set(feature.id, feature);
  count(layer.name, feature, 1);
  return before;
}

function forgetFeature(layer, id) {
  const before = layer.features.get(id);
  if (!before) return undefined;
  if (layer.name === 'incidents') boardChange(before.properties, undefined);
  count(layer.name, before, -1);
  layer.features.delete(id);
  return before;
}

function upsertFeature(layer, feature) {
  drawChange(layer, storeFeature(layer, feature), feature);
}

function removeFeature(layer, id) {
  const before = forgetFeature(layer, id);
  if (before) drawChange(layer, before, undefined);
}

/** Jurisdictions change colour and counts, never shape: the same geometry with new properties. */
function updateProperties(layer, id, properties) {
  const feature = layer.features.get(id);
  if (feature) upsertFeature(layer, { ...feature, properties });
}

/** Draw one feature's change (before → after; either may be missing) the way its layer is drawn. */
function drawChange(layer, before, after) {
  if (layer.mode === 'clustered') {
    clusterChange(layer, before, after);
  } else if (layer.mode === 'bulk') {
    if (after) layer.bulk.upsert(after);
    else layer.bulk.remove(before.id);
  } else {
    const id = (after ?? before).id;
    const drawn = layer.drawn.get(id);
    if (after && drawn && redrawInPlace(layer, drawn, after)) return;
    eraseFeature(layer, id);
    if (after) layer.geo.addData(after);
  }
}

function eraseFeature(layer, id) {
  const leaflet = layer.drawn.get(id);
  if (leaflet) {
    layer.geo.removeLayer(leaflet);
    layer.drawn.delete(id);
  }
}

/**
 * Move and restyle a drawn feature rather than remove and re-add it: its open popup stays open,
 * its label is not rebuilt. False when it must be drawn anew (another geometry type, or a zone
 * that changed kind and so belongs on another canvas).
 */
function redrawInPlace(layer, drawn, feature) {
  const old = drawn.feature;
  const geometry = feature.geometry;
  if (!geometry || old.geometry?.type !== geometry.type) return false;
  if (old.properties.zone_kind !== feature.properties.zone_kind) return false;
  if (old.geometry !== geometry) {
    switch (geometry.type) {
      case 'Point':
        drawn.setLatLng(L.GeoJSON.coordsToLatLng(geometry.coordinates));
        break;
      case 'LineString':
      case 'Polygon':
      case 'MultiPolygon':
        if (JSON.stringify(old.geometry.coordinates) !== JSON.stringify(geometry.coordinates)) {
          drawn.setLatLngs(L.GeoJSON.coordsToLatLngs(geometry.coordinates, { LineString: 0, Polygon: 1, MultiPolygon: 2 }[geometry.type]));
        }
        break;
      default:
        return false;
    }
  }
  drawn.feature = feature;
  restyle(drawn, feature);
  refreshLabel(layer, drawn);
  return true;
}

/** Restyle only if the style changed: each restyle repaints the feature's box on its canvas. */
function restyle(drawn, feature) {
  const style = styleOf(feature);
  if (Object.keys(style).some((key) => drawn.options[key] !== style[key])) drawn.setStyle(style);
}

function modeOf(layer, size) {
  if (CLUSTERABLE.has(layer.name)) return size > CLUSTER_ABOVE ? 'clustered' : 'plain';
  return size > BULK_ABOVE ? 'bulk' : 'plain';
}

/** Clusters, bulk and labels depend on a layer's size; redraw it whole only when that choice flips. */
function refreshMode(layer) {
  const mode = modeOf(layer, layer.features.size);
  const labelled = mode === 'plain' && layer.features.size <= LABEL_LIMIT;
  if (mode !== layer.mode || labelled !== layer.labelled) {
    layer.mode = mode;
    layer.labelled = labelled;
    redrawLayer(layer);
  }
}

function redrawLayer(layer) {
  layer.geo.clearLayers();
  layer.drawn.clear();
  layer.grid = null;
  if (layer.mode !== 'bulk') layer.bulk?.setFeatures([]);
  if (layer.mode === 'clustered') drawClusters(layer);
  else if (layer.mode === 'bulk') bulkOf(layer).setFeatures(layer.features.values());
  else layer.geo.addData([...layer.features.values()]);
}

function bulkOf(layer) {
  if (!layer.bulk) {
    layer.bulk = new BulkCanvas({ pane: layer.name, rank: layer.name === 'zones' ? zoneRank : null });
    if (layer.visible) layer.bulk.addTo(map);
  }
  return layer.bulk;
}

// Nested zones: whatever order they arrive in, sealed is drawn above controlled above prevention.
const zoneRank = (feature) => ZONE_KINDS.indexOf(feature.properties.zone_kind);

/** Replace a layer's features with `features`, touching only those that differ (resync, review). */
function replaceFeatures(layer, features) {
  if (layer.features.size === 0 || features.length === 0) {
    layer.features = new Map();
    for (const feature of features) layer.features.set(feature.id, feature);
    resetTally(layer.name);
    for (const feature of layer.features.values()) count(layer.name, feature, 1);
    if (layer.name === 'incidents') board.stale = true;
    layer.mode = modeOf(layer, layer.features.size);
    layer.labelled = layer.mode === 'plain' && layer.features.size <= LABEL_LIMIT;
    redrawLayer(layer);
    return;
  }
  const incoming = new Map();
  for (const feature of features) incoming.set(feature.id, feature);
  for (const id of [...layer.features.keys()]) if (!incoming.has(id)) removeFeature(layer, id);
  for (const feature of features) {
    const old = layer.features.get(feature.id);
    if (!old || !sameFeature(old, feature)) upsertFeature(layer, feature);
  }
  refreshMode(layer);
}

function sameFeature(a, b) {
  // A dispatch line follows its resource without a new version of its own: compare the geometry too.
  return JSON.stringify(a.properties) === JSON.stringify(b.properties)
    && (a.properties.kind !== 'dispatch' || JSON.stringify(a.geometry) === JSON.stringify(b.geometry));
}

/** The features of a packed block of the snapshot (by column: see api/live.py), added to `list`. */
function unpack(block, list) {
  const { kind, geometry: type, count, keys, coordinates, columns } = block;
  const dictionaries = keys.map((key) => block.dictionaries?.[key] ?? null);
  const point = type === 'Point';
  for (let i = 0; i < count; i++) {
    const properties = { kind };
    for (let k = 0; k < keys.length; k++) {
      const dictionary = dictionaries[k];
      properties[keys[k]] = dictionary ? dictionary[columns[k][i]] : columns[k][i];
    }
    if (point) {
      const lon = coordinates[2 * i];
      const lat = coordinates[2 * i + 1];
      // (With the clusters' slot for its cell made with it: one shape for all, no change of shape later.)
      list.push({ type: 'Feature', id: `${kind}:${properties.id}`, geometry: { type, coordinates: [lon, lat] }, properties, [CELL]: null });
    } else {
      list.push({ type: 'Feature', id: `${kind}:${properties.id}`, geometry: { type, coordinates: coordinates[i] }, properties });
    }
  }
}

// -- Web Mercator as Leaflet's EPSG:3857 projects it, at zoom 0 and divided by 256: [0, 1] ------

const MAX_LATITUDE = 85.0511287798;
const worldX = (lon) => lon / 360 + 0.5;

function worldY(lat) {
  const sin = Math.sin((Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat)) * Math.PI) / 180);
  return 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI);
}

// -- clusters: a large point layer as a grid of screen cells, one marker per cell ----------------
//
// The grid covers the view (with a margin) at the current zoom. A cell holding one point shows the
// point itself; a cell holding more shows their count, in the colour of the highest level among
// them. A change moves one point between cells and redraws those cells only: the other points and
// clusters stay as they are. From CLUSTER_OFF_ZOOM in, every point is shown as itself.

function newGrid() {
  const zoom = map.getZoom();
  const view = map.getPixelBounds().pad(0.25);
  const column0 = Math.floor(view.min.x / CLUSTER_CELL_PX);
  return { zoom, scale: 256 * 2 ** zoom, exact: zoom >= CLUSTER_OFF_ZOOM,
    minX: view.min.x, minY: view.min.y, maxX: view.max.x, maxY: view.max.y,
    column0, row0: Math.floor(view.min.y / CLUSTER_CELL_PX), columns: Math.floor(view.max.x / CLUSTER_CELL_PX) - column0 + 1,
    cells: new Map() };
}

const CELL = Symbol('cell');  // the cell a point feature is counted in (with its grid: see cellOf)

/** The cell a point falls in (small integers hash fast), its own id when exact, or null out of view. */
function cellKeyOf(grid, feature) {
  if (feature.geometry?.type !== 'Point') return null;
  const [lon, lat] = feature.geometry.coordinates;
  const x = worldX(lon) * grid.scale;
  const y = worldY(lat) * grid.scale;
  if (x < grid.minX || x > grid.maxX || y < grid.minY || y > grid.maxY) return null;
  if (grid.exact) return feature.id;
  return (Math.floor(y / CLUSTER_CELL_PX) - grid.row0) * grid.columns + (Math.floor(x / CLUSTER_CELL_PX) - grid.column0);
}

/** The cell of this grid that counts the feature, if any (a cell of an older grid does not). */
function cellOf(grid, feature) {
  const cell = feature?.[CELL];
  return cell && cell.grid === grid ? cell : null;
}

function newCell(grid, key) {
  return { grid, key, members: [], lon: 0, lat: 0, levels: [0, 0, 0, 0, 0], shown: null };
}

/** Add (sign 1) or take out (sign -1) a point of a cell. */
function join(cell, feature, sign) {
  const [lon, lat] = feature.geometry.coordinates;
  if (sign > 0) {
    cell.members.push(feature);
    feature[CELL] = cell;
  } else {
    const members = cell.members;
    const at = members.indexOf(feature);
    if (at < 0) return;
    members[at] = members[members.length - 1];
    members.pop();
    feature[CELL] = null;
  }
  cell.lon += sign * lon;
  cell.lat += sign * lat;
  cell.levels[LEVEL_RANK[feature.properties.level] ?? 0] += sign;
}

/** Bucket the whole layer anew (a new view, a new snapshot), keeping drawn what still fits. */
function drawClusters(layer) {
  const started = performance.now();
  const grid = layer.grid = newGrid();
  for (const feature of layer.features.values()) {
    const key = cellKeyOf(grid, feature);
    if (key === null) continue;
    let cell = grid.cells.get(key);
    if (!cell) grid.cells.set(key, (cell = newCell(grid, key)));
    join(cell, feature, 1);
  }
  const kept = new Set();
  const fresh = [];
  for (const cell of grid.cells.values()) {
    const shown = shownFor(layer, grid, cell);
    const drawn = layer.drawn.get(shown.id);
    if (drawn && updateShown(layer, drawn, shown)) kept.add(shown.id);
    else fresh.push(shown);
    cell.shown = shown.id;
  }
  for (const [id, drawn] of layer.drawn) {
    if (!kept.has(id)) {
      layer.geo.removeLayer(drawn);
      layer.drawn.delete(id);
    }
  }
  layer.geo.addData(fresh);
  stats.lastClusterMs = performance.now() - started;
}

/** One point changed (moved, restyled, came or went): update the one or two cells it touches. */
function clusterChange(layer, before, after) {
  const grid = layer.grid;
  if (!grid) return;
  const from = cellOf(grid, before);
  if (after && after !== before) after[CELL] = null;  // (a copy of a feature carries its cell along)
  const key = after ? cellKeyOf(grid, after) : null;
  const touched = [];
  if (from) {
    join(from, before, -1);
    touched.push(from);
  }
  if (key !== null) {
    let cell = grid.cells.get(key);
    if (!cell) grid.cells.set(key, (cell = newCell(grid, key)));
    join(cell, after, 1);
    if (cell !== from) touched.push(cell);
  }
  for (const cell of touched) showCell(layer, grid, cell);  // the cell left first: it may have shown the point
}

function showCell(layer, grid, cell) {
  const was = cell.shown === null ? undefined : layer.drawn.get(cell.shown);
  if (cell.members.length === 0) {
    if (was) eraseFeature(layer, cell.shown);
    grid.cells.delete(cell.key);
    return;
  }
  const shown = shownFor(layer, grid, cell);
  if (was && cell.shown === shown.id && updateShown(layer, was, shown)) return;
  if (was) eraseFeature(layer, cell.shown);
  layer.geo.addData(shown);
  cell.shown = shown.id;
}

/** What a cell shows: its one point, or a cluster feature with the count. */
function shownFor(layer, grid, cell) {
  const n = cell.members.length;
  if (n === 1) return cell.members[0];
  const column = grid.column0 + (cell.key % grid.columns);
  const row = grid.row0 + Math.floor(cell.key / grid.columns);
  let top = 0;
  for (let rank = 4; rank > 0 && !top; rank--) if (cell.levels[rank] > 0) top = rank;
  return { type: 'Feature', id: `cluster:${layer.name}:${grid.zoom}/${column}/${row}`,
    geometry: { type: 'Point', coordinates: [cell.lon / n, cell.lat / n] },
    properties: { kind: 'cluster', of: layer.name, count: n, colour: COLOUR_OF_RANK[top] } };
}

/** Bring a drawn marker up to what its cell shows now, in place; false if it must be drawn anew. */
function updateShown(layer, drawn, shown) {
  if (drawn.feature === shown) return true;
  if (shown.properties.kind !== 'cluster') return redrawInPlace(layer, drawn, shown);
  const was = drawn.feature.properties;
  if (was.count !== shown.properties.count || was.colour !== shown.properties.colour) drawn.setIcon(clusterIcon(shown.properties));
  const [lon, lat] = shown.geometry.coordinates;
  const [lon0, lat0] = drawn.feature.geometry.coordinates;
  if (lon !== lon0 || lat !== lat0) drawn.setLatLng([lat, lon]);
  drawn.feature = shown;
  return true;
}

const COLOUR_OF_RANK = ['grey', 'blue', 'yellow', 'orange', 'red'];

// -- bulk: a large layer of areas or lines on one canvas of its own ------------------------------

/**
 * Paints a layer's features from plain arrays (coordinates projected once, to Web Mercator at
 * zoom 0), in one loop, instead of one Leaflet layer per feature: for 17,649 zones that is the
 * difference between seconds and milliseconds. A change repaints only the box it touches. The
 * mouse finds features by a scan of their boxes (17,649 boxes take well under a millisecond).
 * The canvas is placed and moved with the map as Leaflet's own renderers are (L.Renderer).
 */
const BulkCanvas = L.Renderer.extend({
  initialize(options) {
    L.Renderer.prototype.initialize.call(this, options);
    this._items = new Map();  // id → item
    this._order = null;       // every item in drawing order, sorted when next needed
    this._seq = 0;
    this._scale = 0;          // of the drawn zoom, while on the map
    this._dirty = null;       // [x0, y0, x1, y1] to repaint at the next frame
    this._frame = null;
  },

  _initContainer() {
    this._container = document.createElement('canvas');
    this._container.className = 'bulk-layer';
    this._ctx = this._container.getContext('2d');
  },

  _destroyContainer() {
    cancelAnimationFrame(this._frame);
    this._frame = null;
    this._scale = 0;
    L.DomUtil.remove(this._container);
    delete this._ctx;
    delete this._container;
  },

  _updatePaths() {},  // (L.Renderer listens for 'update', which this renderer never fires)

  /** After the map moved or zoomed: size and place the canvas, paint everything in view. */
  _update() {
    if (this._map._animatingZoom && this._bounds) return;
    L.Renderer.prototype._update.call(this);
    const b = this._bounds;
    const size = b.getSize();
    const ratio = L.Browser.retina ? 2 : 1;
    const canvas = this._container;
    L.DomUtil.setPosition(canvas, b.min);
    canvas.width = ratio * size.x;
    canvas.height = ratio * size.y;
    canvas.style.width = `${size.x}px`;
    canvas.style.height = `${size.y}px`;
    this._ratio = ratio;
    const origin = this._map.getPixelOrigin();
    this._scale = 256 * 2 ** this._map.getZoom();
    this._origin = [origin.x, origin.y];
    this._dirty = null;
    this._paint(null);
  },

  count() {
    return this._items.size;
  },

  setFeatures(features) {
    this._items.clear();
    this._order = null;
    this._seq = 0;
    for (const feature of features) {
      const item = this._item(feature);
      if (item) this._items.set(feature.id, item);
    }
    if (this._scale) {
      this._dirty = null;
      this._paint(null);
    }
  },

  upsert(feature) {
    const item = this._items.get(feature.id);
    const fresh = this._item(feature, item?.seq);
    if (item) {
      this._invalidate(this._box(item));
      if (!fresh) {
        this._items.delete(feature.id);
        this._order = null;
        return;
      }
      if (fresh.rank !== item.rank || fresh.style !== item.style) this._order = null;
      Object.assign(item, fresh);  // the same item: its place in the drawing order holds
    } else if (fresh) {
      this._items.set(feature.id, fresh);
      this._order = null;
    }
    if (item ?? fresh) this._invalidate(this._box(item ?? fresh));
  },

  remove(id) {
    const item = this._items.get(id);
    if (!item) return;
    this._items.delete(id);
    this._order = null;
    this._invalidate(this._box(item));
  },

  /** The topmost interactive feature under a layer point, or null. */
  featureAt(point) {
    if (!this._scale) return null;
    const items = this._inOrder();
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i];
      if (!item.style.interactive) continue;
      const box = this._box(item);
      if (point.x < box[0] || point.x > box[2] || point.y < box[1] || point.y > box[3]) continue;
      if (this._contains(item, point.x, point.y)) return item.feature;
    }
    return null;
  },

  _item(feature, seq) {
    const geometry = feature.geometry;
    const rings = [];
    let point = null;
    const project = (coordinates) => {
      const ring = [];  // (a plain array of numbers: cheaper to make than a typed array, as fast to read)
      for (const position of coordinates) ring.push(worldX(position[0]), worldY(position[1]));
      rings.push(ring);
    };
    switch (geometry?.type) {
      case 'Polygon': case 'MultiLineString': geometry.coordinates.forEach(project); break;
      case 'MultiPolygon': geometry.coordinates.forEach((polygon) => polygon.forEach(project)); break;
      case 'LineString': project(geometry.coordinates); break;
      case 'Point': point = [worldX(geometry.coordinates[0]), worldY(geometry.coordinates[1])]; break;
      default: return null;
    }
    const world = point ? [point[0], point[1], point[0], point[1]] : [Infinity, Infinity, -Infinity, -Infinity];
    for (const ring of rings) {
      for (let i = 0; i < ring.length; i += 2) {
        if (ring[i] < world[0]) world[0] = ring[i];
        if (ring[i] > world[2]) world[2] = ring[i];
        if (ring[i + 1] < world[1]) world[1] = ring[i + 1];
        if (ring[i + 1] > world[3]) world[3] = ring[i + 1];
      }
    }
    const style = pathStyle(styleOf(feature), geometry.type);
    const pad = (style.stroke ? style.weight / 2 : 0) + (point ? style.radius : 0) + 1;
    return { feature, rank: this.options.rank ? this.options.rank(feature) : 0, seq: seq ?? this._seq++,
      rings, point, world, pad, style };
  },

  /** The item's box in layer pixels at the drawn zoom, with its outline. */
  _box(item) {
    if (!this._scale) return null;
    const s = this._scale;
    const [ox, oy] = this._origin;
    const w = item.world;
    return [w[0] * s - ox - item.pad, w[1] * s - oy - item.pad, w[2] * s - ox + item.pad, w[3] * s - oy + item.pad];
  },

  _invalidate(box) {
    if (!box || !this._ctx) return;
    const d = this._dirty;
    this._dirty = d ? [Math.min(d[0], box[0]), Math.min(d[1], box[1]), Math.max(d[2], box[2]), Math.max(d[3], box[3])] : box;
    if (!this._frame) {
      this._frame = requestAnimationFrame(() => {
        this._frame = null;
        const dirty = this._dirty;
        this._dirty = null;
        if (dirty && this._ctx) this._paint([Math.floor(dirty[0]) - 1, Math.floor(dirty[1]) - 1, Math.ceil(dirty[2]) + 1, Math.ceil(dirty[3]) + 1]);
      });
    }
  },

  /** Paint the features that meet `rect` (layer pixels), or everything in view when it is null. */
  _paint(rect) {
    const ctx = this._ctx;
    const b = this._bounds;
    const r = this._ratio;
    ctx.save();
    ctx.setTransform(r, 0, 0, r, -r * b.min.x, -r * b.min.y);
    if (rect) {
      ctx.beginPath();
      ctx.rect(rect[0], rect[1], rect[2] - rect[0], rect[3] - rect[1]);
      ctx.clip();
    } else {
      rect = [b.min.x, b.min.y, b.max.x, b.max.y];
    }
    ctx.clearRect(rect[0], rect[1], rect[2] - rect[0], rect[3] - rect[1]);
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    const s = this._scale;
    const [ox, oy] = this._origin;
    let style = null;
    let tiny = null;  // the colour, opacity and margin of a feature too small to show its shape
    let fillStyle = null;
    let alpha = null;
    const paintWith = (colour, opacity) => {  // the canvas parses a colour each time it is set
      if (colour !== fillStyle) ctx.fillStyle = fillStyle = colour;
      if (opacity !== alpha) ctx.globalAlpha = alpha = opacity;
    };
    for (const item of this._inOrder()) {
      const w = item.world;
      const x0 = w[0] * s - ox;
      const y0 = w[1] * s - oy;
      const x1 = w[2] * s - ox;
      const y1 = w[3] * s - oy;
      const pad = item.pad;
      if (x1 + pad < rect[0] || x0 - pad > rect[2] || y1 + pad < rect[1] || y0 - pad > rect[3]) continue;
      if (item.style !== style) {
        style = item.style;
        tiny = style.stroke ? [style.color, style.opacity, style.weight / 2] : [style.fillColor, style.fillOpacity, 0];
        ctx.lineWidth = style.weight;
        ctx.strokeStyle = style.color;
        ctx.setLineDash(style.dash);
      }
      // A few pixels across (17,649 zones at the county's zoom), an area is a square of its outline's
      // colour: one fillRect, where its path, fill and stroke would cost five times as much.
      if (!item.point && x1 - x0 < TINY_PX && y1 - y0 < TINY_PX) {
        paintWith(tiny[0], tiny[1]);
        ctx.fillRect(x0 - tiny[2], y0 - tiny[2], x1 - x0 + 2 * tiny[2], y1 - y0 + 2 * tiny[2]);
        continue;
      }
      ctx.beginPath();
      if (item.point) {
        ctx.arc(x0, y0, style.radius, 0, 2 * Math.PI);
      } else {
        for (const ring of item.rings) {
          ctx.moveTo(ring[0] * s - ox, ring[1] * s - oy);
          for (let i = 2; i < ring.length; i += 2) ctx.lineTo(ring[i] * s - ox, ring[i + 1] * s - oy);
          if (style.closed) ctx.closePath();
        }
      }
      if (style.fill) {
        paintWith(style.fillColor, style.fillOpacity);
        ctx.fill('evenodd');
      }
      if (style.stroke) {
        if (style.opacity !== alpha) ctx.globalAlpha = alpha = style.opacity;
        ctx.stroke();
      }
    }
    ctx.restore();
  },

  _inOrder() {
    if (!this._order) this._order = [...this._items.values()].sort(drawingOrder);
    return this._order;
  },

  /** Is the layer point inside the item's area, or on its outline or line? */
  _contains(item, x, y) {
    const s = this._scale;
    const [ox, oy] = this._origin;
    const style = item.style;
    if (item.point) return Math.hypot(item.point[0] * s - ox - x, item.point[1] * s - oy - y) <= style.radius + style.weight / 2;
    const near = style.weight / 2 + 3;
    let inside = false;
    for (const ring of item.rings) {
      const n = ring.length;
      for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
        const xi = ring[i] * s - ox;
        const yi = ring[i + 1] * s - oy;
        const xj = ring[j] * s - ox;
        const yj = ring[j + 1] * s - oy;
        if (style.fill && (yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
        if ((i > 0 || style.closed) && distanceToSegment(x, y, xj, yj, xi, yi) <= near) return true;
      }
    }
    return inside;
  },
});

const TINY_PX = 6;  // an area smaller than this across is painted as a square
// By rank (a zone's kind), then by style (fewer changes of the canvas's state), then as they came.
const drawingOrder = (a, b) => a.rank - b.rank || a.style.index - b.style.index || a.seq - b.seq;

function distanceToSegment(x, y, x0, y0, x1, y1) {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const t = dx || dy ? Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy))) : 0;
  return Math.hypot(x - (x0 + t * dx), y - (y0 + t * dy));
}

// A Leaflet path style with Leaflet's defaults filled in, one object per distinct style: the bulk
// painter sets the canvas's state only when the next feature's style object differs.
const pathStyles = new Map();
const pathStylesOf = new WeakMap();  // a style object styleOf gives again and again → its path styles

function pathStyle(style, type) {
  const shape = type === 'LineString' || type === 'MultiLineString' ? 'line' : type === 'Point' ? 'point' : 'area';
  let known = pathStylesOf.get(style);
  if (!known) pathStylesOf.set(style, (known = {}));
  if (known[shape]) return known[shape];
  const key = [style.stroke, style.color, style.weight, style.opacity, style.dashArray, style.fill, style.fillColor,
    style.fillOpacity, style.radius, style.interactive, shape].join('|');
  let shared = pathStyles.get(key);
  if (!shared) {
    const color = style.color ?? '#3388ff';
    shared = { index: pathStyles.size, stroke: style.stroke ?? true, color, weight: style.weight ?? 3, opacity: style.opacity ?? 1,
      dash: typeof style.dashArray === 'string' ? style.dashArray.split(/[, ]+/).map(Number) : style.dashArray ?? [],
      fill: (style.fill ?? true) && shape !== 'line', fillColor: style.fillColor ?? color, fillOpacity: style.fillOpacity ?? 0.2,
      radius: style.radius ?? 10, interactive: style.interactive ?? true, closed: shape === 'area' };
    pathStyles.set(key, shared);
  }
  known[shape] = shared;
  return shared;
}

// -- the incident board: the first BOARD_LIMIT incidents in board order, kept by each change ------

const board = { top: [], stale: true };

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
function boardChange(before, after) {
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
// -- the live feed -------------------------------------------------------------------------------

function liveUrl(after) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const resume = after === null || after === undefined ? '' : `&after=${after}`;
  // packed: the snapshot's large layers come by column, repeated values once: a fifth of the bytes (api/live.py).
  return `${scheme}://${location.host}${API}/live?access_token=${encodeURIComponent(state.token)}&packed=true${resume}`;
}

function connect() {
  clearTimeout(state.retryTimer);
  const after = state.position;
  const socket = new WebSocket(liveUrl(after));
  let opened = false;
  state.socket = socket;
  if (after !== null) stats.resumes.push({ after, first: null });
  socket.addEventListener('open', () => {
    opened = true;
    state.attempt = 0;
    state.lastHeard = Date.now();
    setConn('live');
  });
  socket.addEventListener('message', (event) => {
    if (socket !== state.socket) return;
    state.lastHeard = Date.now();
    const message = JSON.parse(event.data);
    const resume = stats.resumes.at(-1);
    if (after !== null && resume && resume.first === null) resume.first = message.type;
    handleMessage(message);
    if (state.conn !== 'live') setConn('live');
  });
  socket.addEventListener('close', (event) => onSocketClosed(socket, event, opened));
}

async function onSocketClosed(socket, event, opened) {
  if (socket !== state.socket) return;  // a socket we replaced or closed on purpose
  state.socket = null;
  if (event.code === 4401) {
    showLogin('login.invalid');
    return;
  }
  // The server refuses a bad token before the handshake completes, which a browser only sees as
  // a failed connection: ask over HTTP whether the token or the network is at fault.
  if (!opened && (await probeToken()) === 'invalid') {
    showLogin('login.invalid');
    return;
  }
  // Meanwhile the user may have gone to review, logged out, or gone back to live on a new socket.
  if (state.mode !== 'live' || !state.token || state.socket) return;
  scheduleRetry(event.code === 4008 ? 0 : null);  // 4008: we were too slow; resume at once
}

function scheduleRetry(delay) {
  setConn('reconnecting');
  const base = RETRY_MS[Math.min(state.attempt, RETRY_MS.length - 1)];
  state.attempt += 1;
  // Jitter, so a room full of screens does not reconnect in one beat.
  state.retryTimer = setTimeout(connect, delay ?? base * (0.8 + 0.4 * Math.random()));
}

function stopLive() {
  clearTimeout(state.retryTimer);
  const socket = state.socket;
  state.socket = null;
  if (socket) socket.close(1000, 'leaving live');
}

function watchStaleness() {
  setInterval(() => {
    if (state.mode !== 'live' || !state.socket) return;
    const silent = Date.now() - state.lastHeard;
    if (silent > DEAD_AFTER_MS) {
      state.socket.close(4000, 'silent');  // onclose resumes with after=
    } else if (silent > STALE_AFTER_MS && state.conn === 'live') {
      setConn('stale');
    }
  }, 1000);
}

function handleMessage(msg) {
  stats.messages.push(msg.type);
  if (stats.messages.length > 50) stats.messages.shift();
  switch (msg.type) {
    case 'snapshot':
    case 'resync':
      applySnapshot(msg);
      break;
    case 'delta':
      applyDelta(msg);
      break;
    case 'heartbeat':
      break;  // proof of life: the socket's listener has already noted the time
    default:
      console.warn('live feed: unknown message type', msg.type, msg);
  }
}

function applySnapshot(msg) {
  const started = performance.now();
  const byLayer = Object.fromEntries(LAYER_NAMES.map((name) => [name, []]));
  const sort = (feature) => {
    const name = LAYER_OF_KIND[feature.properties.kind];
    if (name) byLayer[name].push(feature);
    else console.warn('map: a feature of unknown kind', feature.properties.kind);
  };
  const phases = {};
  const phase = (name, since) => { phases[name] = Math.round(performance.now() - since); return performance.now(); };
  let t = started;
  for (const feature of msg.map.features) sort(feature);
  for (const block of msg.map.packed ?? []) {
    const name = LAYER_OF_KIND[block.kind];
    if (name) unpack(block, byLayer[name]);
    else console.warn('map: features of unknown kind', block.kind);
  }
  t = phase('unpack', t);
  fitCountyOnce(byLayer.jurisdictions);  // first, so that nothing is drawn twice
  for (const name of LAYER_NAMES) {
    replaceFeatures(layers[name], byLayer[name]);
    t = phase(name, t);
  }
  state.tasks = new Map(msg.ledger.map((row) => [row.id, row]));
  resetActivity(msg.activity ?? []);
  state.position = msg.position;
  state.at = msg.at;
  showDrill(msg.drill ?? state.config.drill);
  t = phase('activity', t);
  renderPanels(true);
  showPosition();
  phase('panels', t);
  stats.lastSnapshotMs = performance.now() - started;
  stats.snapshotPhases = phases;
}

function applyDelta(msg) {
  const started = performance.now();
  const touched = new Set();
  const entries = [];
  for (const change of msg.changes) applyChange(change, touched, entries);
  for (const name of touched) refreshMode(layers[name]);
  // DOM last: writing rows between label updates would make each label's layout costlier.
  for (const entry of entries) prependActivity(entry);
  state.position = Math.max(state.position ?? 0, msg.position);
  state.at = msg.at;
  showPosition();
  if (touched.size) schedulePanels('counts');
  if (touched.has('incidents')) schedulePanels('incidents');
  if (msg.changes.some((change) => change.layer === 'tasks')) schedulePanels('ledger');
  const took = performance.now() - started;
  stats.deltas += 1;
  stats.changes += msg.changes.length;
  stats.lastDeltaMs = took;
  stats.maxDeltaMs = Math.max(stats.maxDeltaMs, took);
  stats.recentDeltaMs.push(took);
  if (stats.recentDeltaMs.length > 200) stats.recentDeltaMs.shift();
}

function applyChange(change, touched, entries) {
  if (change.layer === 'tasks') {
    state.tasks.set(change.task.id, change.task);
    return;
  }
  if (change.layer === 'audit') {
    entries.push(change.entry);
    return;
  }
  const layer = layers[change.layer];
  if (!layer) {
    console.warn('live feed: a change to an unknown layer', change.layer);
    return;
  }
  touched.add(change.layer);
  switch (change.op) {
    case 'upsert': upsertFeature(layer, change.feature); break;
    case 'remove': removeFeature(layer, change.id); break;
    case 'update': updateProperties(layer, change.id, change.properties); break;
    default: console.warn('live feed: unknown change', change.op);
  }
}

/** Frame the county once, from the first snapshot's jurisdictions, at once (no zoom animation). */
function fitCountyOnce(jurisdictions) {
  if (state.fitted) return;
  const county = jurisdictions.find((f) => f.properties.level === 'county');
  if (!county) return;
  state.fitted = true;
  el('county-name').textContent = county.properties.name;
  map.invalidateSize();  // the grid layout may have settled after the map measured its box
  // Leave the legend's corner free.
  map.fitBounds(L.geoJSON(county).getBounds(), { paddingTopLeft: [360, 20], paddingBottomRight: [20, 20], animate: false });
}

// -- the connection badge ------------------------------------------------------------------------

function setConn(conn) {
  if (conn !== state.conn) stats.connStates = [...stats.connStates.slice(-19), conn];
  state.conn = conn;
  el('conn').dataset.state = conn;
  showPosition();
}

function showPosition() {
  el('conn-label').textContent = t(`conn.${state.conn}`);
  const parts = [];
  if (state.conn === 'review' && state.review.at !== null) parts.push(`${t('asOf')} ${formatTime(new Date(state.review.at))}`);
  if (state.position !== null) parts.push(`${t('position')} #${state.position}`);
  if (state.at && state.conn !== 'review') parts.push(formatTime(state.at));
  if (state.conn === 'reconnecting' && state.attempt > 1) parts.push(t('attempt', { n: state.attempt - 1 }));
  el('conn-position').textContent = parts.join(' · ');
  el('conn').dataset.position = state.position ?? '';
  const stamp = el('review-stamp');
  stamp.hidden = state.mode !== 'review' || state.review.at === null;
  if (!stamp.hidden) stamp.textContent = t('reviewStamp', { time: formatTime(new Date(state.review.at)) });
}

// -- panels: drawn once per animation frame, however many deltas arrived ------------------------

let panelsFrame = null;
const dirtyPanels = new Set();
// Rows already built, by id, with the words they were built from: unchanged rows are reused.
const rowCache = { incidents: new Map(), ledger: new Map() };

/** Mark panels ('counts', 'incidents', 'ledger') to redraw at the next frame. */
function schedulePanels(...names) {
  for (const name of names) dirtyPanels.add(name);
  if (panelsFrame === null) panelsFrame = requestAnimationFrame(() => { panelsFrame = null; renderPanels(); });
}

function renderPanels(all = false) {
  const started = performance.now();
  if (all || dirtyPanels.has('counts')) renderCounts();
  if (all || dirtyPanels.has('incidents')) renderIncidentBoard();
  if (all || dirtyPanels.has('ledger')) renderLedger();
  dirtyPanels.clear();
  stats.lastPanelsMs = performance.now() - started;
}

/** Rows for `items`, reusing the cached row of any item whose content has not changed. */
function cachedRows(cache, items, build) {
  const lang = getLanguage();
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

function showRows(list, rows, emptyKey) {
  if (!rows.length) {
    list.replaceChildren(emptyRow(emptyKey));
    return;
  }
  const current = list.children;
  if (current.length === rows.length && rows.every((row, i) => current[i] === row)) return;
  list.replaceChildren(...rows);
}

function renderCounts() {
  for (const name of LAYER_NAMES) {
    document.querySelector(`[data-count-layer="${name}"]`).textContent = layers[name].features.size;
  }
  for (const [kind, n] of Object.entries(tally.zones)) {
    const target = document.querySelector(`[data-count-zone="${kind}"]`);
    if (target) target.textContent = n;
  }
  for (const [key, n] of Object.entries(tally.kpi)) document.querySelector(`[data-kpi="${key}"]`).textContent = n;
}

const newerFirst = (a, b) => (a < b ? 1 : a > b ? -1 : 0);  // ISO times in one offset sort as text

function incidentOrder(a, b) {
  return (a.status === 'open' ? 0 : 1) - (b.status === 'open' ? 0 : 1)
    || (LEVEL_RANK[b.level] ?? 0) - (LEVEL_RANK[a.level] ?? 0)
    || newerFirst(a.reported_at, b.reported_at);
}

function renderIncidentBoard() {
  document.querySelector('[data-count-panel="incidents"]').textContent = layers.incidents.features.size;
  showRows(el('incident-list'), cachedRows(rowCache.incidents, boardRows(), incidentRow), 'empty.incidents');
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
  li.addEventListener('click', () => focusFeature('incidents', `incident:${p.id}`));
  return li;
}

function focusFeature(layerName, id) {
  const feature = layers[layerName].features.get(id);
  if (!feature) return;
  const [lon, lat] = feature.geometry.coordinates;
  map.setView([lat, lon], Math.max(map.getZoom(), 14));
  L.popup({ maxWidth: 520 }).setLatLng([lat, lon]).setContent(detailsHtml(feature)).openOn(map);
}

function renderLedger() {
  const tasks = [...state.tasks.values()];
  const colours = { green: 0, yellow: 0, red: 0 };
  for (const task of tasks) colours[task.colour] += 1;
  for (const [colour, n] of Object.entries(colours)) document.querySelector(`[data-count-colour="${colour}"]`).textContent = n;
  tasks.sort((a, b) => (COLOUR_RANK[a.colour] - COLOUR_RANK[b.colour]) || -newerFirst(a.due, b.due));
  showRows(el('ledger-list'), cachedRows(rowCache.ledger, tasks.slice(0, LEDGER_LIMIT), taskRow), 'empty.ledger');
}

function taskRow(task) {
  const li = document.createElement('li');
  li.className = 'task';
  li.dataset.id = task.id;
  li.dataset.colour = task.colour;
  const english = getLanguage() === 'en';
  const cooperating = task.cooperating_names?.length ? ` · ${t('cooperating')} ${task.cooperating_names.map(escapeHtml).join('、')}` : '';
  const notices = (task.supervision ?? []).map((n) => `<li class="${n.answered_at ? 'answered' : 'open'}">
      <b>${t('notice', { no: n.no })}</b> ${escapeHtml(n.notice)}
      <span class="notice-by">${t('answerBy', { time: formatTime(n.answer_by) })}</span>
      ${n.answered_at ? `<span class="notice-answer">${t('answered')}: ${escapeHtml(n.answer)}</span>` : `<span class="notice-open">${t('unanswered')}</span>`}
    </li>`).join('');
  li.innerHTML = `<span class="task-colour" title="${term('colour', task.colour)}"></span>
    <div class="task-main">
      <div class="task-title">${escapeHtml(task.title)}</div>
      <div class="task-meta">${t('lead')} ${escapeHtml(task.lead_name)}${cooperating} · ${t('due')} ${formatTime(task.due)} · ${term('taskState', task.state)}</div>
      <div class="task-progress"><span class="bar"><i></i></span> ${Number(task.percent) || 0}%</div>
      <div class="task-reason">${escapeHtml(english ? task.reason_en : task.reason)}</div>
      ${notices ? `<ul class="notices">${notices}</ul>` : ''}
    </div>`;
  li.querySelector('.task-progress .bar i').style.width = `${Number(task.percent) || 0}%`;  // no style="": the CSP
  return li;
}

function emptyRow(key) {
  const li = document.createElement('li');
  li.className = 'empty';
  li.textContent = t(key);
  return li;
}

// The activity stream is truly incremental: a new entry goes on top, the oldest falls off.
function resetActivity(entries) {
  state.activityNewest = 0;
  el('activity-list').replaceChildren();
  for (const entry of [...entries].reverse()) prependActivity(entry);
  if (!entries.length) el('activity-list').replaceChildren(emptyRow('empty.activity'));
}

function prependActivity(entry) {
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

function fillActivityRow(li, entry) {
  const english = getLanguage() === 'en';
  li.innerHTML = `<time>${formatClock(entry.recorded_at)}</time>
    <span class="actor">${escapeHtml(entry.actor_name ?? '')}<small>${term('role', entry.role)}</small></span>
    <span class="what">${escapeHtml(english ? entry.summary_en : entry.summary_zh)}</span>
    ${entry.reason ? `<em class="why">${escapeHtml(entry.reason)}</em>` : ''}`;
  li.entry = entry;
}

// -- review mode: the record as it stood at a chosen time ---------------------------------------

function reviewEnd() {
  const drillEnd = state.config.drill?.end ? Date.parse(state.config.drill.end) : null;
  return Math.max(drillEnd ?? Date.now(), state.review.start);
}

function spanTimeline() {
  const review = state.review;
  review.end = reviewEnd();
  if (!review.start) review.start = review.end;
  const slider = el('time-slider');
  slider.max = String(Math.max(1, review.end - review.start));
}

function enterReview() {
  if (state.mode === 'review') return;
  state.mode = 'review';
  stopLive();
  spanTimeline();
  document.body.classList.add('reviewing');
  el('back-to-live').disabled = false;
  setConn('review');
}

function backToLive() {
  stopPlaying();
  clearTimeout(state.review.debounce);
  state.mode = 'live';
  state.review.at = null;
  state.review.pending = null;
  document.body.classList.remove('reviewing');
  el('back-to-live').disabled = true;
  const url = new URL(location.href);
  url.searchParams.delete('at');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
  state.position = null;  // a fresh snapshot: the map now shows the past
  state.attempt = 0;
  setConn('connecting');
  showSliderAtEnd();
  connect();
}

function showSliderAtEnd() {
  spanTimeline();
  el('time-slider').value = el('time-slider').max;
  el('review-time').textContent = t('conn.live');
  delete el('review-time').dataset.at;
}

function sliderTime() {
  return state.review.start + Number(el('time-slider').value);
}

/** Show the map, ledger and activity as of `at` (ms); a newer request waits for the one in flight. */
async function loadAt(at) {
  enterReview();
  const review = state.review;
  review.at = at;
  el('time-slider').value = String(at - review.start);
  el('review-time').textContent = formatTime(new Date(at));
  showPosition();  // the stamp says the moment at once; the map follows when it has loaded
  if (review.loading) {
    review.pending = at;
    return;
  }
  review.loading = true;
  try {
    const iso = new Date(at).toISOString();
    const q = `at=${encodeURIComponent(iso)}`;
    const [situation, ledger, audit] = await Promise.all([
      api(`/map?${q}`), api(`/ledger?${q}`), api(`/audit?until=${encodeURIComponent(iso)}&newest_first=true&limit=50`),
    ]);
    if (state.mode !== 'review') return;  // back to live while we waited
    applySnapshot({ type: 'review', position: situation.position, at: situation.at, drill: situation.drill,
      map: situation, ledger: ledger.tasks, activity: audit.entries });
    el('review-time').dataset.at = iso;
    el('review-time').dataset.position = situation.position;
    const url = new URL(location.href);
    url.searchParams.set('at', iso);
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    setConn('review');
  } catch (error) {
    if (error instanceof AuthError) showLogin('login.invalid');
    else console.warn('review: could not load the record at', new Date(at).toISOString(), error);
  } finally {
    review.loading = false;
    if (review.pending !== null && state.mode === 'review') {
      const next = review.pending;
      review.pending = null;
      loadAt(next);
    }
  }
}

function togglePlay() {
  if (state.review.player) {
    stopPlaying();
    return;
  }
  if (state.mode === 'live') enterReview();
  spanTimeline();
  // Playing from live, or from the end, replays the record from its start.
  if (sliderTime() >= state.review.end) el('time-slider').value = '0';
  el('play').textContent = t('pause');
  el('play').dataset.i18n = 'pause';
  state.review.player = setInterval(() => {
    const speed = Number(el('speed').value);
    const next = Math.min(state.review.end, sliderTime() + speed * PLAY_TICK_MS);
    loadAt(next);
    if (next >= state.review.end) stopPlaying();
  }, PLAY_TICK_MS);
}

function stopPlaying() {
  clearInterval(state.review.player);
  state.review.player = null;
  el('play').dataset.i18n = 'play';
  el('play').textContent = t('play');
}

function wireReview() {
  const slider = el('time-slider');
  slider.addEventListener('pointerdown', () => { enterReview(); });
  slider.addEventListener('input', () => {
    enterReview();
    el('review-time').textContent = formatTime(new Date(sliderTime()));
    clearTimeout(state.review.debounce);
    state.review.debounce = setTimeout(() => loadAt(sliderTime()), 250);
  });
  slider.addEventListener('change', () => {
    clearTimeout(state.review.debounce);
    loadAt(sliderTime());
  });
  el('play').addEventListener('click', togglePlay);
  el('back-to-live').addEventListener('click', backToLive);
}

// -- drill, language, legend ---------------------------------------------------------------------

function showDrill(drill) {
  const banner = el('drill-banner');
  banner.hidden = !drill;
  document.body.classList.toggle('drill', Boolean(drill));
  el('drill-name').textContent = drill ? [drill.scenario, drill.run].filter(Boolean).join(' · ') : '';
}

function paintSwatches() {
  for (const swatch of document.querySelectorAll('[data-swatch]')) {
    const [group, key] = swatch.dataset.swatch.split(':');
    const colour = group === 'fill' ? PALETTE.level[key] : PALETTE[group][key];
    swatch.style.setProperty('--swatch', colour);
  }
}

function wireLegend() {
  for (const box of document.querySelectorAll('[data-toggle]')) {
    box.addEventListener('change', () => {
      const layer = layers[box.dataset.toggle];
      layer.visible = box.checked;
      for (const drawn of [layer.geo, layer.bulk]) {
        if (!drawn) continue;
        if (box.checked) map.addLayer(drawn);
        else map.removeLayer(drawn);
      }
    });
  }
}

function applyLanguage(lang) {
  setLanguage(lang);
  translatePage();
  if (state.review.player) el('play').textContent = t('pause');
  for (const layer of Object.values(layers)) refreshLabels(layer);
  for (const li of el('activity-list').querySelectorAll('li.activity')) fillActivityRow(li, li.entry);
  if (el('activity-list').querySelector('.empty')) el('activity-list').replaceChildren(emptyRow('empty.activity'));
  if (state.mode === 'live') el('review-time').textContent = t('conn.live');
  renderPanels(true);
  showPosition();
}

// -- start ---------------------------------------------------------------------------------------

async function begin() {
  setConn('connecting');
  const check = await probeToken();
  if (check === 'invalid') {
    showLogin('login.invalid');
    return;
  }
  await configured;  // (fetched while the token was checked) the drill's end bounds the timeline
  const at = new URL(location.href).searchParams.get('at');
  if (at && !Number.isNaN(Date.parse(at))) {
    loadAt(Date.parse(at));
  } else {
    showSliderAtEnd();
    connect();  // if the server is unreachable, the socket fails and we retry
  }
}

let configured = Promise.resolve();

async function main() {
  setLanguage(getLanguage());
  translatePage();
  paintSwatches();
  el('lang-toggle').addEventListener('click', () => applyLanguage(getLanguage() === 'en' ? 'zh' : 'en'));
  wireLogin();
  wireReview();
  createMap();
  wireLegend();
  watchStaleness();
  renderPanels(true);
  configured = fetchConfig().then((config) => {
    state.config = config;
    showDrill(state.config.drill);
    addTiles(config.tile_url);
  });
  state.token = takeToken();
  if (!state.token) {
    showLogin();
    return;
  }
  await begin();
}

// Read-only hooks for diagnostics on the wall's machine and for the browser tests.
window.lianfang = {
  stats,
  receive: handleMessage,
  status: () => ({ conn: state.conn, mode: state.mode, position: state.position, at: state.at, attempt: state.attempt }),
  sizes: () => Object.fromEntries(LAYER_NAMES.map((n) => [n, layers[n].features.size])),
  drawn: () => Object.fromEntries(LAYER_NAMES.map((n) => [n, layers[n].mode === 'bulk' ? layers[n].bulk.count() : layers[n].drawn.size])),
  modes: () => Object.fromEntries(LAYER_NAMES.map((n) => [n, layers[n].mode])),
  feature: (layer, id) => layers[layer].features.get(id) ?? null,
  drawnAt: (layer, id) => layers[layer].drawn.get(id)?.getLatLng?.() ?? null,
  // Leaflet's stamp of the marker drawn for a feature: the same stamp later means it was not drawn anew.
  drawnStamp: (layer, id) => (layers[layer].drawn.has(id) ? L.stamp(layers[layer].drawn.get(id)) : null),
  // The cluster markers a layer shows: their counts and places.
  clusters: (layer) => [...layers[layer].drawn.values()].filter((d) => d.feature.properties.kind === 'cluster')
    .map((d) => ({ count: d.feature.properties.count, lon: d.getLatLng().lng, lat: d.getLatLng().lat })),
  // Where a place is on the screen (container pixels), for pointing at it.
  pointOf: (lon, lat) => map.latLngToContainerPoint([lat, lon]),
  // Jump the view (no animation); the layers are redrawn for it before this returns.
  view: (lon, lat, zoom) => { map.setView([lat, lon], zoom, { animate: false }); },
};

main();
