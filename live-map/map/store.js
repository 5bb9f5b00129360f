// Applying features: one store per layer, drawn in place. Every change goes through storeFeature/
// forgetFeature, which keep the legend's counts, the KPIs and the incident board up to date by the
// change alone: nothing is recounted per delta.
import { board, boardChange } from './board.js';
import { BulkCanvas } from './bulk.js';
import { clusterChange, drawClusters } from './clusters.js';
import { eraseFeature, redrawInPlace } from './drawn.js';
import { BULK_ABOVE, CLUSTER_ABOVE, CLUSTERABLE, COUNT_KEYS, LABEL_LIMIT, ZONE_KINDS, map } from './state.js';

export const tally = { zones: {}, kpi: {} };

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

export function upsertFeature(layer, feature) {
  drawChange(layer, storeFeature(layer, feature), feature);
}

export function removeFeature(layer, id) {
  const before = forgetFeature(layer, id);
  if (before) drawChange(layer, before, undefined);
}

/** Jurisdictions change colour and counts, never shape: the same geometry with new properties. */
export function updateProperties(layer, id, properties) {
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



function modeOf(layer, size) {
  if (CLUSTERABLE.has(layer.name)) return size > CLUSTER_ABOVE ? 'clustered' : 'plain';
  return size > BULK_ABOVE ? 'bulk' : 'plain';
}

/** Clusters, bulk and labels depend on a layer's size; redraw it whole only when that choice flips. */
export function refreshMode(layer) {
  const mode = modeOf(layer, layer.features.size);
  const labelled = mode === 'plain' && layer.features.size <= LABEL_LIMIT;
  if (mode !== layer.mode || labelled !== layer.labelled) {
    layer.mode = mode;
    layer.labelled = labelled;
    redrawLayer(layer);
  }
}

export function redrawLayer(layer) {
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
export function replaceFeatures(layer, features) {
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

