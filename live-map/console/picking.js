// Taking a point or an area from the map for a form: a click, or a polygon drawn with Leaflet-Geoman.
/* global L */
import { el, h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { map } from '../map/state.js';

let stopCurrent = null;

/** A hint over the map while the person points, with a button that stops. */
function showHint(words, stop) {
  const hint = el('pick-hint');
  hint.replaceChildren(h('span', {}, words), h('button', { type: 'button', onclick: stop }, t('console.stopPicking')));
  hint.hidden = false;
}

function hideHint() {
  el('pick-hint').hidden = true;
}

function begin(stop) {
  stopCurrent?.();
  stopCurrent = stop;
  map.lianfangPicking = true;
  map.getContainer().classList.add('picking');
}

function end() {
  stopCurrent = null;
  map.getContainer().classList.remove('picking');
  hideHint();
  // (Cleared after this click has finished reaching the map's other listeners.)
  setTimeout(() => { if (!stopCurrent) map.lianfangPicking = false; }, 0);
}

const onEscape = (event) => { if (event.key === 'Escape') stopCurrent?.(); };
document.addEventListener('keydown', onEscape);

/** Resolves with the clicked [lon, lat], or null when the person stops. */
export function pickPoint(words) {
  return new Promise((resolve) => {
    const clicked = (event) => {
      finish();
      resolve([round(event.latlng.lng), round(event.latlng.lat)]);
    };
    const finish = () => {
      map.off('click', clicked);
      end();
    };
    begin(() => { finish(); resolve(null); });
    map.on('click', clicked);
    showHint(words, () => stopCurrent?.());
  });
}

/**
 * Resolves with { area: GeoJSON Polygon, layer } once the person has drawn it (the corners clicked, then
 * the first again), or null when they stop. The layer stays on the map as the form's preview until
 * the caller removes it.
 */
export function drawArea(words) {
  return new Promise((resolve) => {
    const created = (event) => {
      finish();
      event.layer.pm?.disable?.();
      event.layer.options.pmIgnore = true;
      event.layer.setStyle?.({ className: 'drawn-area', color: '#f8fafc', weight: 3, dashArray: '6 6', fillOpacity: 0.15 });
      resolve({ area: rounded(event.layer.toGeoJSON().geometry), layer: event.layer });
    };
    const finish = () => {
      map.off('pm:create', created);
      if (map.pm.globalDrawModeEnabled()) map.pm.disableDraw();
      end();
    };
    begin(() => { finish(); resolve(null); });
    map.on('pm:create', created);
    map.pm.enableDraw('Polygon', { snappable: false, continueDrawing: false, requireSnapToFinish: false,
      templineStyle: { color: '#f8fafc' }, hintlineStyle: { color: '#f8fafc', dashArray: [5, 5] },
      pathOptions: { color: '#f8fafc', fillOpacity: 0.15 } });
    showHint(words, () => stopCurrent?.());
  });
}

export function stopPicking() {
  stopCurrent?.();
}

const round = (x) => Math.round(x * 1e6) / 1e6;

function rounded(geometry) {
  const walk = (c) => (typeof c[0] === 'number' ? c.map(round) : c.map(walk));
  return { type: geometry.type, coordinates: walk(geometry.coordinates) };
}

/** The latlng of a [lon, lat]. */
export const latLngOf = ([lon, lat]) => L.latLng(lat, lon);
