// Clusters: a large point layer as a grid of screen cells, one marker per cell.
/* global L */
import { config, levelRank, rankColour } from '../lib/config.js';
import { worldX, worldY } from './bulk.js';
import { eraseFeature, redrawInPlace } from './drawn.js';
import { CLUSTER_CELL_PX, CLUSTER_OFF_ZOOM, map, stats } from './state.js';
import { clusterColour } from './styles.js';

/** A cluster is a DOM marker with its count inside: cheaper than a canvas circle plus a label. */
export function clusterIcon(p) {
  const size = Math.round(30 + 8 * Math.log10(p.count));
  const count = document.createElement('span');  // (styled through the DOM: the page's CSP allows no style="")
  count.style.setProperty('--cluster', clusterColour(p));
  count.textContent = p.count;
  return L.divIcon({ className: 'cluster-icon', iconSize: [size, size], html: count });
}

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

export const CELL = Symbol('cell');  // the cell a point feature is counted in (with its grid: see cellOf)

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
  return { grid, key, members: [], lon: 0, lat: 0, levels: new Array(config.levels.length + 1).fill(0), shown: null };
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
  cell.levels[levelRank(feature.properties.level)] += sign;
}

/** Bucket the whole layer anew (a new view, a new snapshot), keeping drawn what still fits. */
export function drawClusters(layer) {
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
export function clusterChange(layer, before, after) {
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
  for (let rank = cell.levels.length - 1; rank > 0 && !top; rank--) if (cell.levels[rank] > 0) top = rank;
  return { type: 'Feature', id: `cluster:${layer.name}:${grid.zoom}/${column}/${row}`,
    geometry: { type: 'Point', coordinates: [cell.lon / n, cell.lat / n] },
    properties: { kind: 'cluster', of: layer.name, count: n, colour: rankColour(top) } };
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
