// How a feature is drawn by Leaflet, one layer per feature: labelled, restyled and moved in place.
/* global L */
import { labelOf, refreshLabel } from './labels.js';
import { fitZone, zoneLook } from './smallzones.js';
import { styleOf } from './styles.js';

/** Remember the Leaflet layer of a feature (for removal by id) and label it while its layer is small. */
export function decorate(layer, feature, leaflet) {
  layer.drawn.set(feature.id, leaflet);
  if (feature.properties.kind === 'zone') leaflet.on('add', () => fitZone(leaflet));
  const label = labelOf(layer, feature);
  if (label === null) return;
  const kind = feature.properties.kind;
  const direction = kind === 'zone' ? 'top' : 'right';
  leaflet.label = label;
  leaflet.bindTooltip(label, { permanent: true, direction, className: `map-label label-${kind}`,
    offset: direction === 'right' ? [14, 0] : [0, 0] });
  // Nested zones share a centre (sealed inside controlled): label each at its own top edge.
  if (kind === 'zone') leaflet.on('add', () => leaflet.openTooltip(topEdge(leaflet)));
}

export function topEdge(polygon) {
  const bounds = polygon.getBounds();
  return L.latLng(bounds.getNorth(), bounds.getCenter().lng);
}

export function eraseFeature(layer, id) {
  const leaflet = layer.drawn.get(id);
  if (leaflet) {
    layer.geo.removeLayer(leaflet);
    layer.drawn.delete(id);
  }
}

/**
 * Move and restyle a drawn feature rather than remove and re-add it: its open popup stays open,
 * its label is not rebuilt. False when it must be drawn anew (another geometry type, or a zone
 * that changed kind and so belongs on another canvas).
 */
export function redrawInPlace(layer, drawn, feature) {
  const old = drawn.feature;
  const geometry = feature.geometry;
  if (!geometry || old.geometry?.type !== geometry.type) return false;
  if (old.properties.zone_kind !== feature.properties.zone_kind) return false;
  if (old.geometry !== geometry) {
    switch (geometry.type) {
      case 'Point':
        drawn.setLatLng(L.GeoJSON.coordsToLatLng(geometry.coordinates));
        break;
      case 'LineString':
      case 'Polygon':
      case 'MultiPolygon':
        if (JSON.stringify(old.geometry.coordinates) !== JSON.stringify(geometry.coordinates)) {
          drawn.setLatLngs(L.GeoJSON.coordsToLatLngs(geometry.coordinates, { LineString: 0, Polygon: 1, MultiPolygon: 2 }[geometry.type]));
        }
        break;
      default:
        return false;
    }
  }
  drawn.feature = feature;
  restyle(drawn, feature);
  refreshLabel(layer, drawn);
  return true;
}

/** Restyle only if the style changed: each restyle repaints the feature's box on its canvas. */
export function restyle(drawn, feature) {
  const style = feature.properties.kind === 'zone' ? zoneLook(drawn, feature) : styleOf(feature);
  if (Object.keys(style).some((key) => drawn.options[key] !== style[key])) drawn.setStyle(style);
}
