// The county's base layers (roads, rivers …): GeoJSON files the server names in its setting `base_layers`,
// drawn under everything, so a command center without a tile server still has a readable base. Not clickable.
/* global L */
import { get } from '../lib/api.js';
import { map } from './state.js';

const WATER = /river|water|lake|canal|stream|河|江|湖|渠|水/i;
const drawn = [];  // { name, features } per base layer, for the diagnostics
let loading = null;

function styleOf(collection, feature) {
  const p = feature.properties ?? {};
  const water = WATER.test(`${p.kind ?? ''} ${p.waterway ?? ''} ${collection.name ?? ''}`);
  const area = /Polygon/.test(feature.geometry?.type ?? '');
  return { color: water ? '#38bdf8' : '#a8b3c7', weight: water ? 3 : 2, opacity: 0.9,
    fill: area, fillColor: water ? '#0c4a6e' : '#334155', fillOpacity: area ? 0.6 : 0, interactive: false };
}

/** Fetch and draw base layers 0 … count-1 (once per page). */
export function addBaseLayers(count) {
  if (!count || loading) return loading;
  map.createPane('base').style.zIndex = '390';  // under the jurisdictions (400) and all that is on them
  const renderer = L.canvas({ pane: 'base', padding: 0.1 });
  loading = Promise.all([...Array(count).keys()].map(async (n) => {
    try {
      const collection = await get(`/base-layers/${n}`);
      L.geoJSON(collection, { pane: 'base', renderer, style: (f) => styleOf(collection, f), interactive: false,
        pointToLayer: (f, latlng) => L.circleMarker(latlng, { pane: 'base', renderer, radius: 3 }), pmIgnore: true }).addTo(map);
      drawn[n] = { name: collection.name, features: collection.features.length };
    } catch (error) {
      console.warn(`base layer ${n} could not be loaded`, error);
    }
  }));
  return loading;
}

export const baseLayers = () => drawn.filter(Boolean);
