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

function createMap() {
  map = L.map('map', { preferCanvas: true, attributionControl: false, zoomSnap: 0.25, minZoom: 6, maxZoom: 19 });
  map.setView([30.67, 104.15], 11);
  if (state.config.tile_url) L.tileLayer(state.config.tile_url, { maxZoom: 19 }).addTo(map);
  LAYER_NAMES.forEach((name, i) => {
    map.createPane(name).style.zIndex = String(400 + 10 * i);
    layers[name] = createLayer(name);
  });
  ZONE_KINDS.forEach((kind, i) => {
    map.createPane(`zones-${kind}`).style.zIndex = String(411 + i);
    zoneRenderers[kind] = L.canvas({ pane: `zones-${kind}`, padding: 0.1 });
  });
  map.on('moveend', () => {
    for (const layer of Object.values(layers)) if (layer.clustered) drawClusters(layer);
  });
}

function createLayer(name) {
  const renderer = L.canvas({ pane: name, padding: 0.1 });
  const layer = { name, features: new Map(), drawn: new Map(), clustered: false, labelled: true,
    visible: true, clusterTimer: null, geo: null };
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
  // One hover tooltip and one click handler per layer, not per feature: 17,649 zones bind nothing.
  layer.geo.bindTooltip((drawn) => summaryHtml(drawn.feature), { sticky: true, className: 'map-tip' });
  layer.geo.on('click', (event) => showDetails(event.propagatedFrom ?? event.layer, event.latlng));
  return layer;
}

function showDetails(drawn, latlng) {
  const feature = drawn?.feature;
  if (!feature) return;
  if (feature.properties.kind === 'cluster') {
    map.setView(drawn.getLatLng(), Math.min(map.getMaxZoom(), map.getZoom() + 2));  // open the cluster up
    return;
  }
  L.popup({ maxWidth: 520 }).setLatLng(latlng).setContent(detailsHtml(feature)).openOn(map);
}

/** A cluster is a DOM marker with its count inside: cheaper than a canvas circle plus a label. */
function clusterIcon(p) {
  const size = Math.round(30 + 8 * Math.log10(p.count));
  const colour = p.of === 'incidents' ? PALETTE.level[p.colour] ?? PALETTE.level.grey : PALETTE.resource.available;
  return L.divIcon({ className: 'cluster-icon', iconSize: [size, size],
    html: `<span style="--cluster:${colour}">${p.count}</span>` });
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

function zoneStyle(p) {
  const colour = PALETTE.zone[p.zone_kind] ?? PALETTE.zone.prevention;
  return p.downgrade_due
    ? { color: PALETTE.zone.due, weight: 4, dashArray: '10 7', fillColor: colour, fillOpacity: 0.32 }
    : { color: colour, weight: 3, fillColor: colour, fillOpacity: 0.32 };
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

function eraseFeature(layer, id) {
  const leaflet = layer.drawn.get(id);
  if (leaflet) {
    layer.geo.removeLayer(leaflet);
    layer.drawn.delete(id);
  }
}

function upsertFeature(layer, feature) {
  layer.features.set(feature.id, feature);
  if (layer.clustered) {
    scheduleClusters(layer);
    return;
  }
  const drawn = layer.drawn.get(feature.id);
  if (drawn && redrawInPlace(layer, drawn, feature)) return;
  eraseFeature(layer, feature.id);
  layer.geo.addData(feature);
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

function removeFeature(layer, id) {
  layer.features.delete(id);
  if (layer.clustered) scheduleClusters(layer);
  else eraseFeature(layer, id);
}

/** Jurisdictions change colour and counts, never shape: restyle the drawn polygon if need be. */
function updateProperties(layer, id, properties) {
  const feature = layer.features.get(id);
  if (!feature) return;
  feature.properties = properties;  // the drawn layer holds this same feature object
  const leaflet = layer.drawn.get(id);
  if (leaflet) {
    // Every report sends the whole chain (county to grid); most keep their colour: no repaint then.
    restyle(leaflet, feature);
    refreshLabel(layer, leaflet);
  }
}

/** Clusters and labels depend on a layer's size; redraw it whole only when that choice flips. */
function refreshMode(layer) {
  const clustered = CLUSTERABLE.has(layer.name) && layer.features.size > CLUSTER_ABOVE;
  const labelled = !clustered && layer.features.size <= LABEL_LIMIT;
  if (clustered !== layer.clustered || labelled !== layer.labelled) {
    layer.clustered = clustered;
    layer.labelled = labelled;
    redrawLayer(layer);
  }
}

function redrawLayer(layer) {
  layer.geo.clearLayers();
  layer.drawn.clear();
  if (layer.clustered) drawClusters(layer);
  else layer.geo.addData([...layer.features.values()]);
}

/** Replace a layer's features with `features`, touching only those that differ (resync, review). */
function replaceFeatures(layer, features) {
  const incoming = new Map(features.map((f) => [f.id, f]));
  const wasEmpty = layer.features.size === 0;
  if (wasEmpty || incoming.size === 0) {
    layer.features = incoming;
    layer.clustered = CLUSTERABLE.has(layer.name) && incoming.size > CLUSTER_ABOVE;
    layer.labelled = !layer.clustered && incoming.size <= LABEL_LIMIT;
    redrawLayer(layer);
    return;
  }
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

// -- clusters: a grid over the screen, for layers too large to draw point by point ---------------

function scheduleClusters(layer) {
  // Many deltas in a burst redraw the clusters once; a delta itself only updates the store.
  if (!layer.clusterTimer) {
    layer.clusterTimer = setTimeout(() => {
      layer.clusterTimer = null;
      if (layer.clustered) drawClusters(layer);
    }, 250);
  }
}

/**
 * Bucket the points in view by screen cell. Web Mercator in line (as Leaflet's EPSG:3857 projects,
 * in its pixel space) rather than through Leaflet: 100,000 calls would allocate 200,000 objects.
 */
function drawClusters(layer) {
  const started = performance.now();
  const zoom = map.getZoom();
  const scale = 256 * 2 ** zoom;
  const view = map.getPixelBounds().pad(0.25);
  // Cells on a grid fixed to the world, counted from the view's corner: small integer keys hash
  // fast while bucketing, and a cell keeps its id as the map pans.
  const column0 = Math.floor(view.min.x / CLUSTER_CELL_PX);
  const row0 = Math.floor(view.min.y / CLUSTER_CELL_PX);
  const columns = Math.ceil(view.max.x / CLUSTER_CELL_PX) - column0 + 1;
  const buckets = new Map();
  for (const feature of layer.features.values()) {
    if (feature.geometry?.type !== 'Point') continue;
    const [lon, lat] = feature.geometry.coordinates;
    const x = ((lon + 180) / 360) * scale;
    const sin = Math.sin((lat * Math.PI) / 180);
    const y = (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * scale;
    if (x < view.min.x || x > view.max.x || y < view.min.y || y > view.max.y) continue;
    const key = (Math.floor(y / CLUSTER_CELL_PX) - row0) * columns + (Math.floor(x / CLUSTER_CELL_PX) - column0);
    const bucket = buckets.get(key);
    if (bucket) {
      bucket.count += 1;
      bucket.lon += lon;
      bucket.lat += lat;
      if ((LEVEL_RANK[feature.properties.level] ?? 0) > (LEVEL_RANK[bucket.level] ?? 0)) bucket.level = feature.properties.level;
    } else {
      buckets.set(key, { first: feature, count: 1, lon, lat, level: feature.properties.level });
    }
  }
  const shown = new Map();
  for (const [key, b] of buckets) {
    const cell = `${zoom}/${column0 + (key % columns)}/${row0 + Math.floor(key / columns)}`;
    const feature = b.count === 1 ? b.first : clusterFeature(layer.name, cell, b);
    shown.set(feature.id, feature);
  }
  showClustered(layer, shown);
  stats.lastClusterMs = performance.now() - started;
}

/** Draw what changed since the last clustering: a moving team changes a cell or two, not hundreds. */
function showClustered(layer, shown) {
  for (const [id, drawn] of layer.drawn) {
    const next = shown.get(id);
    if (next && sameCluster(drawn.feature, next)) {
      if (next !== drawn.feature) drawn.setLatLng(L.GeoJSON.coordsToLatLng(next.geometry.coordinates));
      drawn.feature = next;
    } else if (!next || !(next.properties.kind !== 'cluster' && redrawInPlace(layer, drawn, next))) {
      layer.geo.removeLayer(drawn);
      layer.drawn.delete(id);
    }
  }
  layer.geo.addData([...shown.values()].filter((feature) => !layer.drawn.has(feature.id)));
}

function sameCluster(a, b) {
  return a === b || (a.properties.kind === 'cluster' && b.properties.kind === 'cluster'
    && a.properties.count === b.properties.count && a.properties.colour === b.properties.colour);
}

function clusterFeature(name, cell, bucket) {
  return { type: 'Feature', id: `cluster:${name}:${cell}`,
    geometry: { type: 'Point', coordinates: [bucket.lon / bucket.count, bucket.lat / bucket.count] },
    properties: { kind: 'cluster', of: name, count: bucket.count, colour: colourOfLevel(bucket.level) } };
}

function colourOfLevel(level) {
  return { I: 'red', II: 'orange', III: 'yellow', IV: 'blue' }[level] ?? 'grey';
}

// -- the live feed -------------------------------------------------------------------------------

function liveUrl(after) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const resume = after === null || after === undefined ? '' : `&after=${after}`;
  return `${scheme}://${location.host}${API}/live?access_token=${encodeURIComponent(state.token)}${resume}`;
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
  for (const feature of msg.map.features) {
    const name = LAYER_OF_KIND[feature.properties.kind];
    if (name) byLayer[name].push(feature);
    else console.warn('map: a feature of unknown kind', feature.properties.kind);
  }
  for (const name of LAYER_NAMES) replaceFeatures(layers[name], byLayer[name]);
  state.tasks = new Map(msg.ledger.map((row) => [row.id, row]));
  resetActivity(msg.activity ?? []);
  state.position = msg.position;
  state.at = msg.at;
  showDrill(msg.drill ?? state.config.drill);
  fitCountyOnce();
  renderPanels(true);
  showPosition();
  stats.lastSnapshotMs = performance.now() - started;
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

function fitCountyOnce() {
  if (state.fitted) return;
  const county = [...layers.jurisdictions.features.values()].find((f) => f.properties.level === 'county');
  if (!county) return;
  state.fitted = true;
  el('county-name').textContent = county.properties.name;
  map.invalidateSize();  // the grid layout may have settled after the map measured its box
  // Leave the legend's corner free.
  map.fitBounds(L.geoJSON(county).getBounds(), { paddingTopLeft: [360, 20], paddingBottomRight: [20, 20] });
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
  const zones = { sealed: 0, controlled: 0, prevention: 0, due: 0 };
  for (const feature of layers.zones.features.values()) {
    zones[feature.properties.zone_kind] = (zones[feature.properties.zone_kind] ?? 0) + 1;
    if (feature.properties.downgrade_due) zones.due += 1;
  }
  for (const [kind, n] of Object.entries(zones)) {
    const target = document.querySelector(`[data-count-zone="${kind}"]`);
    if (target) target.textContent = n;
  }
  const kpi = { open_incidents: 0, confirmed: 0, suspected: 0, asymptomatic: 0, close_contacts: 0 };
  for (const feature of layers.incidents.features.values()) {
    const p = feature.properties;
    if (p.status !== 'open') continue;
    kpi.open_incidents += 1;
    for (const key of COUNT_KEYS) kpi[key] += p.counts?.[key] ?? 0;
  }
  for (const [key, n] of Object.entries(kpi)) document.querySelector(`[data-kpi="${key}"]`).textContent = n;
}

const newerFirst = (a, b) => (a < b ? 1 : a > b ? -1 : 0);  // ISO times in one offset sort as text

function incidentOrder(a, b) {
  return (a.status === 'open' ? 0 : 1) - (b.status === 'open' ? 0 : 1)
    || (LEVEL_RANK[b.level] ?? 0) - (LEVEL_RANK[a.level] ?? 0)
    || newerFirst(a.reported_at, b.reported_at);
}

function renderIncidentBoard() {
  const incidents = [...layers.incidents.features.values()].map((f) => f.properties).sort(incidentOrder);
  document.querySelector('[data-count-panel="incidents"]').textContent = incidents.length;
  showRows(el('incident-list'), cachedRows(rowCache.incidents, incidents.slice(0, BOARD_LIMIT), incidentRow), 'empty.incidents');
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
  layers[layerName].drawn.get(id)?.openPopup();
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
      <div class="task-progress"><span class="bar"><i style="width:${Number(task.percent) || 0}%"></i></span> ${Number(task.percent) || 0}%</div>
      <div class="task-reason">${escapeHtml(english ? task.reason_en : task.reason)}</div>
      ${notices ? `<ul class="notices">${notices}</ul>` : ''}
    </div>`;
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
      if (box.checked) map.addLayer(layer.geo);
      else map.removeLayer(layer.geo);
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
  const at = new URL(location.href).searchParams.get('at');
  if (at && !Number.isNaN(Date.parse(at))) {
    loadAt(Date.parse(at));
  } else {
    showSliderAtEnd();
    connect();  // if the server is unreachable, the socket fails and we retry
  }
}

async function main() {
  setLanguage(getLanguage());
  translatePage();
  paintSwatches();
  el('lang-toggle').addEventListener('click', () => applyLanguage(getLanguage() === 'en' ? 'zh' : 'en'));
  wireLogin();
  wireReview();
  state.config = await fetchConfig();
  showDrill(state.config.drill);
  createMap();
  wireLegend();
  watchStaleness();
  renderPanels(true);
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
  drawn: () => Object.fromEntries(LAYER_NAMES.map((n) => [n, layers[n].drawn.size])),
  feature: (layer, id) => layers[layer].features.get(id) ?? null,
  drawnAt: (layer, id) => layers[layer].drawn.get(id)?.getLatLng?.() ?? null,
};

main();
