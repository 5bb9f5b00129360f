// Where a report is: the phone's GPS, or a tap on a small map of the team's jurisdiction (the fallback when
// the GPS is unavailable, refused or too slow, and always an option). The outline comes from the geography
// the feed serves (kept in IndexedDB), so it is drawn offline even when no tile is. A point outside the
// jurisdiction is said at once, before anything is queued; the server's 403 stays the final word.
/* global L */
import { config } from '/live-map/lib/config.js';
import { h } from '/live-map/lib/dom.js';
import { holds } from '/live-map/lib/geometry.js';
import { t } from '/live-map/lib/i18n.js';

let current = null;  // the small map on screen (for tests and diagnostics), or null

export function pickMap() {
  return current;
}

const round6 = (x) => Number(x.toFixed(6));
const OUTLINE = { color: '#ffd400', weight: 3, fillColor: '#ffd400', fillOpacity: 0.12 };

/** Is [lon, lat] inside the team's jurisdiction `home`? (Unknown home: the server decides.) */
export function insideHome(home, point) {
  return !home?.geometry || holds(home.geometry, point[0], point[1]);
}

export function outsideText(home, how) {
  return t(`outside.${how}`, { name: home?.properties?.name ?? '' });
}

/** The position part of a report form: { element, point(): [lon, lat] | null, check(): true or says why not }. */
export function createWhere({ position, home }) {
  let picked = null;
  let map = null;
  const text = h('p', { className: 'where-text', role: 'status' });
  const error = h('p', { className: 'where-error', role: 'alert' });
  const box = h('div', { className: 'pick', hidden: true });
  const toggle = h('button', { type: 'button', className: 'secondary', onclick: () => (box.hidden ? open() : close()) });
  const element = h('div', { className: 'where' }, text, toggle, box, error);
  const point = () => picked ?? position();

  function say() {
    const p = point();
    if (picked) text.textContent = t('where.picked', { lon: p[0], lat: p[1] });
    else if (p) text.textContent = t('where.gps', { lon: p[0], lat: p[1] });
    else text.textContent = t('where.none');
    toggle.textContent = box.hidden ? t('pick.open') : t('pick.close');
  }

  function open() {
    box.hidden = false;
    say();
    if (map) return;
    const area = home();
    if (!area) {
      box.replaceChildren(h('p', { className: 'where-error' }, t('pick.nohome')));
      return;
    }
    const canvas = h('div', { className: 'pick-map', id: 'pick-map', 'aria-label': t('pick.label') });
    box.replaceChildren(canvas, h('p', { className: 'hint' }, t('pick.hint')));
    map = L.map(canvas, { attributionControl: Boolean(config.tile_url), zoomSnap: 0.25, tapTolerance: 20 });
    if (config.tile_url) L.tileLayer(config.tile_url, { maxZoom: 19 }).addTo(map);
    const outline = L.geoJSON(area, { interactive: false, style: () => OUTLINE }).addTo(map);
    map.fitBounds(outline.getBounds(), { padding: [8, 8], animate: false });
    let marker = null;
    map.on('click', (event) => {
      const tapped = [round6(event.latlng.lng), round6(event.latlng.lat)];
      const inside = insideHome(area, tapped);
      marker?.remove();
      marker = L.circleMarker(event.latlng, { radius: 10, weight: 3, color: inside ? '#000' : '#ff6b6b',
        fillColor: inside ? '#ffd400' : '#ff6b6b', fillOpacity: 1, interactive: false }).addTo(map);
      error.textContent = inside ? '' : outsideText(area, 'tap');
      picked = tapped;  // (outside, it stays shown as tapped, and the form refuses it)
      say();
    });
    current = map;
  }

  function close() {
    box.hidden = true;
    say();
  }

  say();
  return {
    element,
    point,
    /** Open the map if there is no position yet (the GPS failed meanwhile). */
    offerMap: () => { if (!point() && box.hidden) open(); },
    /** A point inside the jurisdiction: true; else the form says why, and the map opens. */
    check() {
      const p = point();
      if (!p) {
        error.textContent = t('need.position');
        open();
        return false;
      }
      if (!insideHome(home(), p)) {
        error.textContent = outsideText(home(), picked ? 'tap' : 'gps');
        open();
        return false;
      }
      error.textContent = '';
      return true;
    },
    refresh: say,
    remove: () => {
      if (map === current) current = null;
      map?.remove();
    },
  };
}
