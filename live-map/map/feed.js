// The live feed applied to the page: a snapshot, then deltas, each applied in place (switch on msg.type).
/* global L */
import { el } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { LiveFeed } from '../lib/live.js';
import { unpack } from '../lib/packed.js';
import { formatTime, shortTime } from '../lib/time.js';
import { prependActivity, resetActivity } from './activity.js';
import { CELL } from './clusters.js';
import { showDrill } from './legend.js';
import { renderPanels, schedulePanels } from './panels.js';
import { LAYER_NAMES, LAYER_OF_KIND, feedListeners, layers, map, state, stats } from './state.js';
import { refreshMode, removeFeature, replaceFeatures, updateProperties, upsertFeature } from './store.js';
import { config } from '../lib/config.js';

export let feed = null;

/** The page's live feed: `probe` tells a bad token from a bad network; `onAuthFailed` asks for a new one. */
export function createFeed({ probe, onAuthFailed }) {
  // packed: the snapshot's large layers come by column, repeated values once: a fifth of the bytes (api/live.py).
  feed = new LiveFeed({
    query: 'packed=true', position: () => state.position, onMessage: handleMessage, stats,
    onConn: (conn) => setConn(conn), onAuthFailed, probe, wanted: () => state.mode === 'live' && Boolean(feed),
  });
  return feed;
}

export function handleMessage(msg) {
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
  for (const listen of feedListeners) listen(msg);
}

export function applySnapshot(msg) {
  const started = performance.now();
  const byLayer = Object.fromEntries(LAYER_NAMES.map((name) => [name, []]));
  const sort = (feature) => {
    const name = LAYER_OF_KIND[feature.properties.kind];
    if (name) byLayer[name].push(feature);
    else console.warn('map: a feature of unknown kind', feature.properties.kind);
  };
  const phases = {};
  const phase = (name, since) => { phases[name] = Math.round(performance.now() - since); return performance.now(); };
  let now = started;
  for (const feature of msg.map.features) sort(feature);
  for (const block of msg.map.packed ?? []) {
    const name = LAYER_OF_KIND[block.kind];
    if (name) unpack(block, byLayer[name], CELL);  // (with the clusters' slot for its cell: one shape for all)
    else console.warn('map: features of unknown kind', block.kind);
  }
  now = phase('unpack', now);
  fitCountyOnce(byLayer.jurisdictions);  // first, so that nothing is drawn twice
  for (const name of LAYER_NAMES) {
    replaceFeatures(layers[name], byLayer[name]);
    now = phase(name, now);
  }
  state.tasks = new Map(msg.ledger.map((row) => [row.id, row]));
  state.position = msg.position;
  state.at = msg.at;  // (before the activity: its rows are dated against it)
  resetActivity(msg.activity ?? []);
  showDrill(msg.drill ?? config.drill);
  now = phase('activity', now);
  renderPanels(true);
  showPosition();
  phase('panels', now);
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
  // Leave the legend's corner free while it is open (folded, it is only its title).
  const legendOpen = !el('legend').classList.contains('folded') && map.getSize().x >= 700;
  map.fitBounds(L.geoJSON(county).getBounds(), { paddingTopLeft: [legendOpen ? 360 : 10, 20], paddingBottomRight: [20, 20], animate: false });
}

// -- the connection badge ------------------------------------------------------------------------

export function setConn(conn) {
  if (conn !== state.conn) stats.connStates = [...stats.connStates.slice(-19), conn];
  state.conn = conn;
  el('conn').dataset.state = conn;
  showPosition();
}

export function showPosition() {
  el('conn-label').textContent = t(`conn.${state.conn}`);
  const parts = [];
  // People see times, never log positions (the position stays in data-position, for tests and diagnostics).
  if (state.conn === 'review' && state.review.at !== null) parts.push(`${t('asOf')} ${formatTime(new Date(state.review.at))}`);
  if (state.at && state.conn !== 'review') parts.push(t('updatedAt', { time: shortTime(state.at) }));
  const attempt = feed?.attempt ?? 0;
  if (state.conn === 'reconnecting' && attempt > 1) parts.push(t('attempt', { n: attempt - 1 }));
  el('conn-position').textContent = parts.join(' · ');
  el('conn').dataset.position = state.position ?? '';
  const stamp = el('review-stamp');
  stamp.hidden = state.mode !== 'review' || state.review.at === null;
  if (!stamp.hidden) stamp.textContent = t('reviewStamp', { time: formatTime(new Date(state.review.at)) });
}
