// Place names for points: the deepest of the county's jurisdictions (the map's own layer) that holds a point,
// so that people read 松林村 rather than [104.2493, 30.6626].
import { holds } from '../lib/geometry.js';
import { layers } from './state.js';

const DEPTH = { county: 0, township: 1, street: 1, village: 2, community: 2, grid: 3 };

/** The name of the deepest jurisdiction holding [lon, lat], or null outside them all. */
export function placeName(lon, lat) {
  let best = null;
  for (const feature of layers.jurisdictions?.features.values() ?? []) {
    const depth = DEPTH[feature.properties.level] ?? 0;
    if (best && depth <= best.depth) continue;
    if (holds(feature.geometry, lon, lat)) best = { depth, name: feature.properties.name };
  }
  return best?.name ?? null;
}

const COORDINATES = /\[\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,2}(?:\.\d+)?)\s*\]/g;

/** The text with each [lon, lat] in it replaced by its place's name (or the point, shortened, outside the county). */
export function withPlaceNames(text) {
  return String(text ?? '').replace(COORDINATES, (whole, lon, lat) => placeName(Number(lon), Number(lat))
    ?? `${Number(lon).toFixed(3)}, ${Number(lat).toFixed(3)}`);
}
