// A zone too small to see at the county's zoom (a building, a compound) is drawn with a thick round stroke, so it
// shows as a dot of its colour that a click finds (Leaflet's hit test counts the stroke); zoomed in, it is
// drawn as it is.
import { map } from './state.js';
import { styleOf } from './styles.js';

const SMALL_PX = 10;  // a zone whose box is smaller than this on screen is drawn as a dot
const DOT_PX = 12;

/** The style a drawn zone needs at the map's zoom now. */
export function zoneLook(drawn, feature) {
  const base = styleOf(feature);
  if (!map || !drawn.getBounds) return base;
  const bounds = drawn.getBounds();
  if (!bounds.isValid()) return base;
  const a = map.latLngToLayerPoint(bounds.getSouthWest());
  const b = map.latLngToLayerPoint(bounds.getNorthEast());
  const small = Math.max(Math.abs(b.x - a.x), Math.abs(a.y - b.y)) < SMALL_PX;
  return small ? { ...base, weight: DOT_PX, opacity: 1, lineJoin: 'round', lineCap: 'round', dashArray: null } : base;
}

/** Restyle a drawn zone for the zoom, only if its look changes. */
export function fitZone(drawn) {
  const style = zoneLook(drawn, drawn.feature);
  if (Object.keys(style).some((key) => drawn.options[key] !== style[key])) drawn.setStyle(style);
}

/** After a zoom: every drawn zone gets the look its size on screen needs. */
export function fitZones(layer) {
  if (layer.mode !== 'plain') return;
  for (const drawn of layer.drawn.values()) fitZone(drawn);
}
