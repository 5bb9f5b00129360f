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
  popup ??= L.popup({ maxWidth: 520, pane: popupPane() });
  popup.lianfangKind = feature.properties.kind;
  popup.setLatLng(latlng).setContent(popupContent(feature)).openOn(map);
}

let topPane = null;

/**
 * Popups go in a pane of their own above the legend and the toolbar: Leaflet's panes live inside the map
 * pane, whose transform keeps them under anything laid over the map. This pane sits in the map's container
 * instead and follows the map pane's offset, so a popup's place is still the map's layer point.
 */
function popupPane() {
  if (!topPane) {
    topPane = map.createPane('top-popups', map.getContainer());
    topPane.classList.add('top-popup-pane');
    const follow = () => L.DomUtil.setPosition(topPane, L.DomUtil.getPosition(map.getPane('mapPane')));
    map.on('move zoom viewreset zoomend resize', follow);
    follow();
  }
  return 'top-popups';
}

/** Centre the map on a point feature and open its popup (a row of the board was clicked). */
export function focusFeature(layerName, id) {
  const feature = layers[layerName].features.get(id);
  if (!feature) return;
  const [lon, lat] = feature.geometry.coordinates;
  map.setView([lat, lon], Math.max(map.getZoom(), 14));
  openPopup([lat, lon], feature);
}
