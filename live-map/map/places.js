// Place names for points: the deepest of the county's jurisdictions (the map's own layer) that holds a point,
// so that people read 松林村 rather than [104.2493, 30.6626].
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

function holds(geometry, lon, lat) {
  if (!geometry) return false;
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  return polygons.some((rings) => inRing(rings[0], lon, lat) && !rings.slice(1).some((hole) => inRing(hole, lon, lat)));
}

function inRing(ring, x, y) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
