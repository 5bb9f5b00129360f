// Read-only hooks for diagnostics on the wall's machine and for the browser tests.
/* global L */
import { baseLayers } from './base.js';
import { feed, handleMessage } from './feed.js';
import { LAYER_NAMES, layers, map, state, stats } from './state.js';

export function exposeDiagnostics() {
  window.lianfang = {
    stats,
    baseLayers,
    receive: handleMessage,
    status: () => ({ conn: state.conn, mode: state.mode, position: state.position, at: state.at, attempt: feed?.attempt ?? 0,
      role: state.me?.role ?? null }),
    sizes: () => Object.fromEntries(LAYER_NAMES.map((n) => [n, layers[n].features.size])),
    drawn: () => Object.fromEntries(LAYER_NAMES.map((n) => [n, layers[n].mode === 'bulk' ? layers[n].bulk.count() : layers[n].drawn.size])),
    modes: () => Object.fromEntries(LAYER_NAMES.map((n) => [n, layers[n].mode])),
    feature: (layer, id) => layers[layer].features.get(id) ?? null,
    // The kind of feature the open popup is about (popups.js), or null.
    openKind: () => (map._popup?.isOpen() ? map._popup.lianfangKind ?? null : null),
    task: (id) => state.tasks.get(id) ?? null,
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
}
