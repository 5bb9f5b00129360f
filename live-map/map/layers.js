// The map and its layers. A layer is drawn in one of three ways, by its size: 'plain', a Leaflet layer
// per feature on the layer's canvas (labelled while few); 'clustered', a large point layer as a grid of
// screen cells, one marker per cell (clusters.js); 'bulk', a large layer of areas or lines painted on
// one canvas from plain arrays, with no Leaflet layer per feature (bulk.js).
/* global L */
import { clusterIcon, drawClusters } from './clusters.js';
import { decorate } from './drawn.js';
import { summaryHtml } from './labels.js';
import { openPopup } from './popups.js';
import { fitZones } from './smallzones.js';
import { LAYER_NAMES, ZONE_KINDS, layers, map, setMap, zoneRenderers } from './state.js';
import { styleOf } from './styles.js';

let bulkTip;                  // the hover tooltip of features on bulk canvases
let pointerOnFeature = false; // over a feature drawn by Leaflet: it has its own tooltip

export function createMap() {
  // tapHold: a long press on a touch screen is a right-click (the console's 报告事件 there).
  setMap(L.map('map', { preferCanvas: true, attributionControl: false, zoomSnap: 0.25, minZoom: 6, maxZoom: 19, tapHold: true }));
  map.setView([30.67, 104.15], 11);
  LAYER_NAMES.forEach((name, i) => {
    map.createPane(name).style.zIndex = String(400 + 10 * i);
    layers[name] = createLayer(name);
  });
  ZONE_KINDS.forEach((kind, i) => {
    map.createPane(`zones-${kind}`).style.zIndex = String(411 + i);
    zoneRenderers[kind] = L.canvas({ pane: `zones-${kind}`, padding: 0.1 });
  });
  map.on('zoomend', () => fitZones(layers.zones));
  map.on('moveend', () => {
    for (const layer of Object.values(layers)) if (layer.mode === 'clustered') drawClusters(layer);
  });
  // Features on a bulk canvas have no Leaflet layer: the map's own events find them.
  bulkTip = L.tooltip({ className: 'map-tip', direction: 'auto' });
  map.on('mousemove', (event) => hoverBulk(event));
  map.on('mouseout', () => hoverBulk(null));
  // A click that no feature of the top canvas took: each layer has a canvas of its own, and only the
  // top one receives the browser's clicks, so the features of the layers below are looked for here.
  map.on('click', (event) => {
    if (map.lianfangPicking) return;  // the console is taking a point or drawing: the click is its
    const feature = featureAt(event.layerPoint);
    if (feature) openPopup(event.latlng, feature);
  });
  return map;
}

export function addTiles(url) {
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
    // (Geoman leaves the map's own layers alone: only what the console draws is editable.)
    pmIgnore: true,
  }).addTo(map);
  // One hover tooltip and one click handler per layer, not per feature.
  layer.geo.bindTooltip((drawn) => summaryHtml(drawn.feature), { sticky: true, className: 'map-tip' });
  layer.geo.on('click', (event) => showDetails(event));
  layer.geo.on('mouseover', () => { pointerOnFeature = true; hoverBulk(null); });
  layer.geo.on('mouseout', () => { pointerOnFeature = false; });
  return layer;
}

function showDetails(event) {
  if (map.lianfangPicking) return;
  const drawn = event.propagatedFrom ?? event.layer;
  const feature = drawn?.feature;
  if (!feature) return;
  L.DomEvent.stopPropagation(event);  // a zone on a bulk canvas under it does not answer too
  if (feature.properties.kind === 'cluster') {
    map.setView(drawn.getLatLng(), Math.min(map.getMaxZoom(), map.getZoom() + 2));  // open the cluster up
    return;
  }
  openPopup(event.latlng, feature);
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

const AREA_LAYERS = new Set(['zones', 'alerts']);

/**
 * The feature a click at a layer point is about, on any visible layer (bulk or drawn by Leaflet): the
 * topmost point or line; else, of the zones and alerts there, the smallest (a zone inside an alert's
 * area answers inside it, the alert around it); else the jurisdiction.
 */
function featureAt(point) {
  let area = null;
  let smallest = Infinity;
  for (let i = LAYER_NAMES.length - 1; i >= 0; i--) {
    const layer = layers[LAYER_NAMES[i]];
    if (!layer.visible) continue;
    for (const [feature, size] of hitsOf(layer, point)) {
      if (layer.name === 'jurisdictions') return area ?? feature;
      if (!AREA_LAYERS.has(layer.name)) return feature;
      if (size < smallest) [area, smallest] = [feature, size];
    }
  }
  return area;
}

/** [feature, size in px²] of each feature of a layer under the point (last drawn last). */
function hitsOf(layer, point) {
  if (layer.mode === 'bulk') {
    const feature = layer.bulk?.featureAt(point);
    return feature ? [[feature, 0]] : [];
  }
  const hits = [];
  for (const drawn of layer.drawn.values()) {
    // (_containsPoint: how Leaflet's own canvas renderer finds the path under the pointer)
    if (drawn.options.interactive === false || drawn.feature.properties.kind === 'cluster' || !drawn._containsPoint?.(point)) continue;
    const box = drawn._pxBounds;
    hits.unshift([drawn.feature, box ? (box.max.x - box.min.x) * (box.max.y - box.min.y) : 0]);
  }
  return hits;
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
