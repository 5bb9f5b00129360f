// Popups: a feature's details, and below them the actions the console gives for it.
/* global L */
import { h } from '../lib/dom.js';
import { detailsHtml } from './labels.js';
import { extensions, layers, map } from './state.js';

export function popupContent(feature) {
  const details = h('div', { className: 'popup-details' });
  details.innerHTML = detailsHtml(feature);
  const actions = extensions.popupActions.flatMap((make) => make(feature) ?? []);
  if (!actions.length) return details;
  return h('div', { className: 'popup' }, details, h('div', { className: 'popup-actions' }, actions));
}

// One popup for the whole map, reused: a new popup per click would leave the last one fading out beside it
// (Leaflet removes a closed popup 200 ms later), and a click would then find two sets of actions.
let popup = null;

export function openPopup(latlng, feature) {
  popup ??= L.popup({ maxWidth: 520 });
  popup.setLatLng(latlng).setContent(popupContent(feature)).openOn(map);
}

/** Centre the map on a point feature and open its popup (a row of the board was clicked). */
export function focusFeature(layerName, id) {
  const feature = layers[layerName].features.get(id);
  if (!feature) return;
  const [lon, lat] = feature.geometry.coordinates;
  map.setView([lat, lon], Math.max(map.getZoom(), 14));
  openPopup([lat, lon], feature);
}
